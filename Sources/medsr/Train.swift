public import ArgumentParser
import Foundation
import MedDataset
public import MedNN
public import MedTraining
import Zarr

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a super-resolution, restoration or classification model on the CPU from a dataset built by medsr build.",
        discussion: """
        --task sr (the default) learns LR → HR from the dataset's lr_x<scale> and hr arrays; \
        --task restore learns degraded → clean at the same size: the HR tiles are the targets and \
        --degradation SPEC makes each input, drawn afresh for every patch (deterministic for a \
        seed). Random input patches (--patch is the input side; SR targets are --patch × --scale) \
        with flips and 90° rotations, a content loss (MSE or L1, + --tv-weight × total \
        variation), Adam (or AdamW, or SGD with momentum) with a cosine (or step, or constant) \
        schedule after --warmup steps. Every --validate-every steps: PSNR and SSIM on up to \
        --val-tiles tiles of the val split (test if val is empty) beside a baseline (bicubic for \
        SR, the degraded input for restoration). Writes into --out: model.safetensors (PyTorch \
        state_dict names, see README), checkpoint.safetensors (every network, optimiser state, \
        step, generator state: --resume continues exactly), metrics.csv and report.html. \
        Deterministic for a fixed --seed and --threads.

        ESPCN learns the difference to bicubic interpolation (--residual bicubic, its default): \
        the saved state_dict is the plain network's, and the model file's `residual` metadata \
        says to add bicubic(x) to its output. A model still behind its baseline at the end gets a \
        warning.

        Models:
        \(TrainingPreset.all.map { "  " + $0.name.padding(toLength: 12, withPad: " ", startingAt: 0) + " " + "[\($0.task.rawValue)] " + $0.summary }.joined(separator: "\n"))

        Degradations (--task restore; chain with +, e.g. blur:gaussian:1.5+noise:gaussian:5): \
        blur:gaussian:SIGMA, blur:defocus:RADIUS, blur:motion:LENGTH:ANGLE, blur:downup:FACTOR, \
        noise:gaussian:SIGMA (8-bit levels), noise:poisson:SCALE, noise:rician:SIGMA, \
        noise:speckle:SIGMA, jpeg:QUALITY.

        A perceptual loss (--perceptual VGG.safetensors) needs pretrained VGG feature weights that \
        you supply (torchvision's vgg19().features state_dict, e.g. cut to features[:36] for \
        SRGAN's VGG54); none ship with MedSR and none can be downloaded by it.

        Examples:
          medsr train --dataset ds/ --model espcn --scale 4 --steps 2000 --out runs/espcn-x4
          medsr train --dataset ds/ --model espcn --scale 4 --steps 4000 --resume runs/espcn-x4/checkpoint.safetensors --out runs/espcn-x4
          medsr train --dataset ds/ --model srresnet --scale 4 --patch 24 --batch 4 --steps 20000 --out runs/srresnet-x4
          medsr train --dataset ds/ --model srgan --scale 4 --patch 24 --batch 4 --init runs/srresnet-x4/model.safetensors --out runs/srgan-x4
          medsr train --task restore --dataset ds/ --model dncnn --degradation noise:gaussian:15 --patch 40 --out runs/dncnn-15
          medsr train --task restore --dataset ds/ --model unet --degradation blur:gaussian:2 --patch 64 --out runs/unet-blur2
        """
    )

    @Option(help: "sr (super-resolution), restore (same-size restoration) or classify (resnet18, resnet34, densenet121, cnn-small on the tiles' labels); default: the model's task.") var task: TrainingTaskChoice?
    @Option(help: "Dataset folder built by medsr build.") var dataset: String
    @Option(help: "\(TrainingPreset.all.map(\.name).joined(separator: ", ")).") var model = "espcn"
    @Option(parsing: .unconditional, help: "SR: upscaling factor (the dataset must have lr_x<scale>).") var scale = 4
    @Option(help: "restore: the degradation to undo (see above), e.g. noise:gaussian:15.") var degradation: String?
    @Option(parsing: .unconditional, help: "Input patch side in pixels.") var patch = 32
    @Option(parsing: .unconditional, help: "Patches per step.") var batch = 16
    @Option(parsing: .unconditional, help: "Training steps.") var steps: Int?
    @Option(parsing: .unconditional, help: "Epochs (passes over the train tiles' worth of patches), instead of --steps.") var epochs: Int?
    @Option(parsing: .unconditional, help: "Learning rate (default: the model's, e.g. 1e-3 for espcn, 1e-4 for srresnet).") var lr: Double?
    @Option(help: "adam, adamw or sgd.") var optimizer: OptimizerKind = .adam
    @Option(parsing: .unconditional, help: "sgd: momentum.") var momentum = 0.9
    @Flag(help: "sgd: Nesterov momentum.") var nesterov = false
    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "Weight decay (decoupled for adamw, --weight-decay > 0 with adam means adamw; L2 for sgd).") var weightDecay = 0.0
    @Option(name: .customLong("content-loss"), help: "mse, l1 or charbonnier (default: the model's).") var contentLoss: ContentLoss?
    @Option(name: .customLong("adversarial-weight"), parsing: .unconditional, help: "GAN models: weight of the adversarial loss (default: the model's).") var adversarialWeight: Double?
    @Option(name: .customLong("tv-weight"), parsing: .unconditional, help: "Weight of a total-variation loss (0: none).") var tvWeight = 0.0
    @Option(help: "Start the generator from these weights (a model.safetensors of the same architecture).") var `init`: String?
    @Option(help: "VGG features weights for a perceptual loss (torchvision names; you supply them).") var perceptual: String?
    @Option(name: .customLong("perceptual-weight"), parsing: .unconditional, help: "Weight of the perceptual loss.") var perceptualWeight = 0.006
    @Option(help: "SR: bicubic (learn the difference to bicubic) or none (default: bicubic for espcn, none otherwise).")
    var residual: ResidualChoice?
    @Option(parsing: .unconditional, help: "Width (channels of the first level) of unet, dae, dncnn (default: the architecture's).") var width: Int?
    @Option(parsing: .unconditional, help: "Depth (levels of unet/dae, layers of dncnn; default: the architecture's).") var depth: Int?
    @Option(help: "cosine, step or constant.") var schedule: Schedule = .cosine
    @Option(parsing: .unconditional, help: "Steps of linear learning-rate warm-up before the schedule.") var warmup = 0
    @Option(parsing: .unconditional, help: "Seed for initialisation, patch sampling and degradations.") var seed: UInt64 = 1
    @Option(name: .customLong("validate-every"), parsing: .unconditional, help: "Validate every this many steps.") var validateEvery = 100
    @Option(name: .customLong("val-tiles"), parsing: .unconditional, help: "Validation tiles.") var valTiles = 32
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: "Checkpoint every this many steps.") var checkpointEvery = 500
    @Option(help: "Resume from this checkpoint (or the run folder holding it).") var resume: String?
    @Option(parsing: .unconditional, help: "Threads (default: cores).") var threads: Int?
    @Option(help: "Run folder to write.") var out: String
    @OptionGroup var classify: ClassifyTrainOptions

    func validate() throws {
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if task == .classify { return try classify.check(model: classifierModel) }
        guard let preset = TrainingPreset.named(model) else {
            throw ValidationError("--model is \(TrainingPreset.all.map(\.name).joined(separator: ", "))")
        }
        if let task, task.modelTask != preset.task {
            throw ValidationError("--model \(model) is a \(preset.task.rawValue) model; --task \(task.rawValue) takes \(TrainingPreset.names(task: task.modelTask).joined(separator: ", "))")
        }
        if preset.task == .restoration && degradation == nil {
            throw ValidationError("--task restore needs --degradation (e.g. noise:gaussian:15 or blur:gaussian:2)")
        }
        if let degradation {
            // A bad spec is a usage error, named before any work.
            do { _ = try Degradation(parsing: degradation) } catch { throw ValidationError("\(error)") }
        }
        if preset.task == .superResolution && degradation != nil {
            throw ValidationError("--degradation applies to --task restore; SR inputs are the dataset's lr_x<scale> tiles")
        }
        if !(weightDecay >= 0) || !(momentum >= 0) { throw ValidationError("--weight-decay and --momentum are ≥ 0") }
        if nesterov && (optimizer != .sgd || momentum == 0) { throw ValidationError("--nesterov needs --optimizer sgd with --momentum > 0") }
        if !((adversarialWeight ?? 0) >= 0) || !(tvWeight >= 0) || !(perceptualWeight >= 0) {
            throw ValidationError("--adversarial-weight, --tv-weight and --perceptual-weight are ≥ 0")
        }
        if preset.adversarial, patch * (preset.task == .superResolution ? scale : 1) < 16 {
            throw ValidationError("the discriminator needs target patches of at least 16 pixels (--patch\(preset.task == .superResolution ? " × --scale" : ""))")
        }
        if patch < 4 || batch < 1 || (steps ?? 1) < 1 || (epochs ?? 1) < 1 || !((lr ?? 1) > 0) || (threads ?? 1) < 1 || validateEvery < 1 || warmup < 0 {
            throw ValidationError("--patch ≥ 4; --batch, --steps, --epochs, --threads, --validate-every ≥ 1; --warmup ≥ 0; --lr > 0")
        }
        if (width ?? 1) < 1 || (depth ?? 1) < 1 { throw ValidationError("--width and --depth are ≥ 1") }
    }

    func run() throws {
        if task == .classify { return try runClassify() }
        let ds = try withCleanError { try Dataset(root: URL(fileURLWithPath: dataset)) }
        guard let preset = TrainingPreset.named(model) else { throw ExitCode(2) }
        var config = TrainingConfig()
        config.model = model
        config.scale = preset.task == .superResolution ? scale : 1
        config.degradation = degradation
        config.patch = patch
        config.batch = batch
        config.learningRate = lr ?? preset.learningRate
        config.optimizer = optimizer == .adam && weightDecay > 0 ? .adamw : optimizer
        config.momentum = momentum
        config.nesterov = nesterov
        config.contentLoss = contentLoss ?? preset.contentLoss
        config.weightDecay = weightDecay
        config.adversarialWeight = adversarialWeight ?? preset.adversarialWeight
        config.tvWeight = tvWeight
        config.initialWeights = `init`
        config.perceptualWeights = perceptual
        config.perceptualWeight = perceptualWeight
        config.schedule = LearningRateSchedule(schedule, warmup: warmup)
        config.seed = seed
        config.validateEvery = validateEvery
        config.validationTiles = valTiles
        config.checkpointEvery = checkpointEvery
        config.threads = threads ?? processorCount
        config.residual = residual.map { $0 == .bicubic }
        config.width = width
        config.depth = depth
        if let epochs {
            let tiles = (try? ds.array("train", "hr").count) ?? 0
            // One epoch ≈ as many patches as the train tiles hold input pixels / patch².
            let inputSide = ds.card["tile"]?.intValue.map { $0 / config.scale } ?? patch
            let perEpoch = max(1, tiles * (inputSide * inputSide) / (patch * patch) / batch)
            config.steps = epochs * perEpoch
        } else {
            config.steps = steps ?? 1000
        }
        let runURL = URL(fileURLWithPath: out).standardizedFileURL
        // Before any work: another run's model is never replaced, and the folder must be writable.
        try withCleanError { try Trainer.prepareRunFolder(runURL, resuming: resume != nil) }
        let trainer = try withCleanError { try Trainer(config: config, dataset: ds, run: runURL) }
        if var resume {
            // A run folder stands for the checkpoint inside it.
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: resume, isDirectory: &isDirectory), isDirectory.boolValue {
                resume = URL(fileURLWithPath: resume).appendingPathComponent("checkpoint.safetensors").path
                guard FileManager.default.fileExists(atPath: resume) else {
                    report("medsr: \(resume): no checkpoint yet (one is written every --checkpoint-every steps); start the run again")
                    throw ExitCode(1)
                }
            }
            try withCleanError { try trainer.resume(from: resume) }
        }
        print("training \(trainer.displayName) for \(config.steps) steps (from step \(trainer.currentStep)); validation on "
            + (trainer.validationSplitName.map { "the \($0) split" } ?? "nothing (no val or test tiles)"))
        print("BLAS: OpenBLAS \(BLASKernels.coreName) kernels, \(config.threads) thread\(config.threads == 1 ? "" : "s")")
        let bar = Progress(total: config.steps - trainer.currentStep, unit: "steps")
        let start = Date()
        let firstStep = trainer.currentStep  // a resumed run's speed counts the steps of this run only
        var last = 0.0
        try withCleanError {
            try trainer.train { step, loss in
                last = loss
                bar.advance(detail: String(format: " loss %.5f ", loss))
                if isatty(2) != 1 && (step % max(1, config.validateEvery) == 0) {
                    print(String(format: "step %d  loss %.6f  %.1f steps/s", step, loss, Double(step - firstStep) / Date().timeIntervalSince(start)))
                }
                if let record = trainer.records.last, record.step == step, let line = trainer.validationLine(record) { bar.note(line) }
            }
        }
        bar.finish()
        if let warning = trainer.behindBaselineWarning { report("medsr: " + warning) }
        print(String(format: "final loss %.6f; wrote %@, %@, metrics.csv, report.html", last, trainer.modelURL.path, trainer.checkpointURL.path))
    }
}

/// `train --task`.
enum TrainingTaskChoice: String, ExpressibleByArgument, CaseIterable {
    case sr, restore, classify
    var modelTask: ModelTask {
        switch self {
        case .sr: .superResolution
        case .restore: .restoration
        case .classify: .classification
        }
    }
}

extension OptimizerKind: ExpressibleByArgument {}
extension Schedule: ExpressibleByArgument {}
extension ContentLoss: ExpressibleByArgument {}

/// `train --residual`: what the network's output is added to.
enum ResidualChoice: String, ExpressibleByArgument, CaseIterable {
    case bicubic, none
}
