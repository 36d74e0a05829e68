import ArgumentParser
import Foundation
import MedDataset
import MedNN
import MedTraining
import Zarr

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a super-resolution model on the CPU from a dataset built by medsr build.",
        discussion: """
        Random LR patches (--patch is the LR side; HR patches are --patch × --scale) with their \
        aligned HR patches from the train split, flips and 90° rotations, a content loss (MSE or \
        L1, + --tv-weight × total variation), Adam with a cosine (or step, or constant) schedule. \
        Every --validate-every steps: PSNR and SSIM on up to --val-tiles tiles of the val split \
        (test if val is empty), bicubic alongside. Writes into --out: model.safetensors (PyTorch \
        state_dict names, see README), checkpoint.safetensors (weights, Adam moments, step, \
        generator state: --resume continues exactly), metrics.csv and report.html. Deterministic \
        for a fixed --seed and --threads.

        ESPCN learns the difference to bicubic interpolation (--residual bicubic, its default): \
        the saved state_dict is the plain network's, and the model file's `residual` metadata \
        says to add bicubic(x) to its output. Each validation prints the model's PSNR and SSIM \
        beside bicubic's; a model still behind bicubic at the end gets a warning.

        Models:
          espcn        Shi et al. 2016. Scales 2, 3, 4; default --lr 1e-3.
          srresnet     Ledig et al. 2017: 16 residual blocks, batch norm, PReLU;
                       1.5 M parameters at x4 (RGB). Scales 2, 3, 4, 8;
                       default --lr 1e-4.
          srgan        SRResNet trained against the SRGAN discriminator:
                       content + --adversarial-weight x adversarial loss.
                       Start from a trained SRResNet with --init.
          swift-srgan  Krishnan et al. 2021: the same with depthwise-separable
                       convolutions (0.2 M parameters at x4).

        A perceptual loss (--perceptual VGG.safetensors) needs pretrained VGG feature weights that \
        you supply (torchvision's vgg19().features state_dict, e.g. cut to features[:36] for \
        SRGAN's VGG54); none ship with MedSR and none can be downloaded by it.

        Examples:
          medsr train --dataset ds/ --model espcn --scale 4 --steps 2000 --out runs/espcn-x4
          medsr train --dataset ds/ --model espcn --scale 4 --steps 4000 --resume runs/espcn-x4/checkpoint.safetensors --out runs/espcn-x4
          medsr train --dataset ds/ --model srresnet --scale 4 --patch 24 --batch 4 --steps 20000 --out runs/srresnet-x4
          medsr train --dataset ds/ --model srgan --scale 4 --patch 24 --batch 4 --init runs/srresnet-x4/model.safetensors --out runs/srgan-x4
        """
    )

    @Option(help: "Dataset folder built by medsr build.") var dataset: String
    @Option(help: "espcn, srresnet, srgan or swift-srgan.") var model = "espcn"
    @Option(parsing: .unconditional, help: "Upscaling factor (the dataset must have lr_x<scale>).") var scale = 4
    @Option(parsing: .unconditional, help: "LR patch side in pixels.") var patch = 32
    @Option(parsing: .unconditional, help: "Patches per step.") var batch = 16
    @Option(parsing: .unconditional, help: "Training steps.") var steps: Int?
    @Option(parsing: .unconditional, help: "Epochs (passes over the train tiles' worth of patches), instead of --steps.") var epochs: Int?
    @Option(parsing: .unconditional, help: "Adam learning rate (default: 1e-3 for espcn, 1e-4 otherwise).") var lr: Double?
    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "Decoupled weight decay (AdamW); 0 is plain Adam.") var weightDecay = 0.0
    @Option(name: .customLong("content-loss"), help: "mse or l1.") var contentLoss = "mse"
    @Option(name: .customLong("adversarial-weight"), parsing: .unconditional, help: "srgan, swift-srgan: weight of the adversarial loss.") var adversarialWeight = 1e-3
    @Option(name: .customLong("tv-weight"), parsing: .unconditional, help: "Weight of a total-variation loss (0: none).") var tvWeight = 0.0
    @Option(help: "Start the generator from these weights (a model.safetensors of the same architecture).") var `init`: String?
    @Option(help: "VGG features weights for a perceptual loss (torchvision names; you supply them).") var perceptual: String?
    @Option(name: .customLong("perceptual-weight"), parsing: .unconditional, help: "Weight of the perceptual loss.") var perceptualWeight = 0.006
    @Option(help: "bicubic (learn the difference to bicubic) or none (default: bicubic for espcn, none otherwise).")
    var residual: ResidualChoice?
    @Option(help: "cosine, step or constant.") var schedule = "cosine"
    @Option(parsing: .unconditional, help: "Seed for initialisation and patch sampling.") var seed: UInt64 = 1
    @Option(name: .customLong("validate-every"), parsing: .unconditional, help: "Validate every this many steps.") var validateEvery = 100
    @Option(name: .customLong("val-tiles"), parsing: .unconditional, help: "Validation tiles.") var valTiles = 32
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: "Checkpoint every this many steps.") var checkpointEvery = 500
    @Option(help: "Resume from this checkpoint.") var resume: String?
    @Option(parsing: .unconditional, help: "BLAS threads (default: cores).") var threads: Int?
    @Option(help: "Run folder to write.") var out: String

    func validate() throws {
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if Schedule(rawValue: schedule) == nil { throw ValidationError("--schedule is cosine, step or constant") }
        if TrainingModel(rawValue: model) == nil {
            throw ValidationError("--model is \(TrainingModel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if contentLoss != "mse" && contentLoss != "l1" { throw ValidationError("--content-loss is mse or l1") }
        if !(weightDecay >= 0) { throw ValidationError("--weight-decay is ≥ 0") }
        if !(adversarialWeight >= 0) || !(tvWeight >= 0) || !(perceptualWeight >= 0) {
            throw ValidationError("--adversarial-weight, --tv-weight and --perceptual-weight are ≥ 0")
        }
        if let m = TrainingModel(rawValue: model), m.adversarial, patch * scale < 16 {
            throw ValidationError("the discriminator needs HR patches of at least 16 pixels (--patch × --scale)")
        }
        if patch < 4 || batch < 1 || (steps ?? 1) < 1 || (epochs ?? 1) < 1 || !((lr ?? 1) > 0) || (threads ?? 1) < 1 || validateEvery < 1 {
            throw ValidationError("--patch ≥ 4; --batch, --steps, --epochs, --threads, --validate-every ≥ 1; --lr > 0")
        }
    }

    func run() throws {
        let ds = try withCleanError { try Dataset(root: URL(fileURLWithPath: dataset)) }
        var config = TrainingConfig()
        config.model = model
        config.scale = scale
        config.patch = patch
        config.batch = batch
        config.learningRate = lr ?? (model == "espcn" ? 1e-3 : 1e-4)
        config.contentLoss = contentLoss
        config.weightDecay = weightDecay
        config.adversarialWeight = adversarialWeight
        config.tvWeight = tvWeight
        config.initialWeights = `init`
        config.perceptualWeights = perceptual
        config.perceptualWeight = perceptualWeight
        config.schedule = Schedule(rawValue: schedule) ?? .cosine
        config.seed = seed
        config.validateEvery = validateEvery
        config.validationTiles = valTiles
        config.checkpointEvery = checkpointEvery
        config.threads = threads ?? processorCount
        config.residual = residual.map { $0 == .bicubic }
        if let epochs {
            let tiles = (try? ds.array("train", "hr").count) ?? 0
            // One epoch ≈ as many patches as the train tiles hold LR pixels / patch².
            let lrSide = ds.card["tile"]?.intValue.map { $0 / scale } ?? patch
            let perEpoch = max(1, tiles * (lrSide * lrSide) / (patch * patch) / batch)
            config.steps = epochs * perEpoch
        } else {
            config.steps = steps ?? 1000
        }
        let runURL = URL(fileURLWithPath: out).standardizedFileURL
        // Before any work: another run's model is never replaced, and the folder must be writable.
        try withCleanError { try Trainer.prepareRunFolder(runURL, resuming: resume != nil) }
        let trainer = try withCleanError { try Trainer(config: config, dataset: ds, run: runURL) }
        if let resume { try withCleanError { try trainer.resume(from: resume) } }
        print("training \(trainer.kind.displayName) ×\(scale) for \(config.steps) steps (from step \(trainer.currentStep)); validation on "
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
        if let warning = trainer.behindBicubicWarning { report("medsr: " + warning) }
        print(String(format: "final loss %.6f; wrote %@, %@, metrics.csv, report.html", last, trainer.modelURL.path, trainer.checkpointURL.path))
    }
}

/// `train --residual`: what the network's output is added to.
enum ResidualChoice: String, ExpressibleByArgument, CaseIterable {
    case bicubic, none
}
