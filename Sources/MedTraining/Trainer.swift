public import Foundation
public import MedDataset
import MedImage
import MedMetrics
public import MedNN
import MedReport
import Zarr

/// What `medsr train` is asked to do.
public struct TrainingConfig: Sendable {
    /// espcn, srresnet (MSE or L1 only), srgan or swift-srgan (adversarial training).
    public var model = "espcn"
    /// Decoupled weight decay (AdamW) for the generator; 0: Adam.
    public var weightDecay = 0.0
    /// Content loss: "mse" or "l1".
    public var contentLoss = "mse"
    /// Weight of the adversarial term in the generator's loss (GAN models).
    public var adversarialWeight = 1e-3
    /// Weight of the total-variation term (0: none).
    public var tvWeight = 0.0
    /// Generator weights to start from (e.g. a trained SRResNet before SRGAN), safetensors.
    public var initialWeights: String?
    /// VGG `features` weights (torchvision names) for a perceptual loss; nil: none.
    public var perceptualWeights: String?
    /// Weight of the perceptual loss (SRGAN's VGG loss is scaled by 0.006).
    public var perceptualWeight = 0.006
    public var scale = 4
    /// Side of the LR patch (the HR patch is `patch × scale`).
    public var patch = 32
    public var batch = 16
    public var steps = 1000
    public var learningRate = 1e-3
    public var schedule = Schedule.cosine
    public var seed: UInt64 = 1
    public var validateEvery = 100
    public var validationTiles = 32
    public var checkpointEvery = 500
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Learn the difference to bicubic (`BicubicResidual`) instead of the whole image; nil: on
    /// for ESPCN, off for the SRResNet family (its GAN variants end in a bounded activation).
    public var residual: Bool?

    public init() {}
}

/// One row of `metrics.csv`.
public struct TrainingRecord: Sendable {
    public var step: Int
    /// The generator's total loss.
    public var loss: Double
    public var learningRate: Double
    public var valPSNR: Double?
    public var valSSIM: Double?
    public var seconds: Double
    /// GAN models: the discriminator's loss (real + fake).
    public var discriminatorLoss: Double?
}

/// The models `medsr train` knows: the generator's architecture and whether a discriminator
/// trains alongside.
public enum TrainingModel: String, Sendable, CaseIterable {
    case espcn, srresnet, srgan, swiftSRGAN = "swift-srgan"

    /// The generator's registry name.
    public var generator: String {
        switch self {
        case .espcn: "espcn"
        case .srresnet, .srgan: "srresnet"
        case .swiftSRGAN: "swift-srgan"
        }
    }
    var scales: [Int] { (try? ModelRegistry.architecture(generator).scales) ?? [] }
    public var adversarial: Bool { self == .srgan || self == .swiftSRGAN }
    public var displayName: String {
        switch self {
        case .espcn: "ESPCN"
        case .srresnet: "SRResNet"
        case .srgan: "SRGAN"
        case .swiftSRGAN: "Swift-SRGAN"
        }
    }
}

/// Trains an SR model on a dataset's train split on random aligned patches with a content loss
/// (MSE or L1, optionally + total variation), Adam and a schedule; GAN models also train a
/// discriminator (binary cross-entropy on logits) and add its adversarial term, weighted 1e-3 by
/// default, to the generator's loss. Validates on the val split (bicubic alongside); writes
/// checkpoints that resume exactly, `metrics.csv`, `model.safetensors` and `report.html`.
public final class Trainer {
    public let config: TrainingConfig
    public let dataset: Dataset
    public let run: URL
    public let kind: TrainingModel
    let network: any Model<Float>
    let optimizer: Adam<Float>
    let discriminator: Discriminator<Float>?
    let discriminatorOptimizer: Adam<Float>?
    let perceptual: PerceptualLoss?
    var rng: SplitMix64
    var step = 0
    public internal(set) var records: [TrainingRecord] = []
    /// Bicubic on the validation tiles (the reference line).
    public private(set) var bicubic: (psnr: Double, ssim: Double)?
    let train: TileSource
    let validation: TileSource?
    let validationSplit: String?
    /// The network learns the difference to bicubic (saved as `residual: bicubic`).
    public let isResidual: Bool

    public struct TrainingError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { "train: \(message)" }
    }

    public init(config: TrainingConfig, dataset: Dataset, run: URL) throws {
        guard let kind = TrainingModel(rawValue: config.model) else {
            throw TrainingError(message: "model '\(config.model)' is unknown (known: \(TrainingModel.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard kind.scales.contains(config.scale) else {
            throw TrainingError(message: "\(kind.displayName) scales are \(kind.scales.map(String.init).joined(separator: ", ")), not \(config.scale)")
        }
        guard config.contentLoss == "mse" || config.contentLoss == "l1" else {
            throw TrainingError(message: "content loss '\(config.contentLoss)' is unknown (mse or l1)")
        }
        self.kind = kind
        guard dataset.scales.contains(config.scale) else {
            throw TrainingError(message: "the dataset has LR scales \(dataset.scales.map(String.init).joined(separator: ", ")), not ×\(config.scale)")
        }
        self.config = config
        self.dataset = dataset
        self.run = run
        train = try TileSource(dataset: dataset, split: "train", scale: config.scale)
        guard train.count > 0 else { throw TrainingError(message: "the train split has no tiles") }
        guard config.patch >= 4, config.patch <= train.lrTile else {
            throw TrainingError(message: "--patch \(config.patch) must be 4…\(train.lrTile) (the LR tile side)")
        }
        var split: String?
        var source: TileSource?
        for name in ["val", "test"] {
            if let s = try? TileSource(dataset: dataset, split: name, scale: config.scale), s.count > 0 { split = name; source = s; break }
        }
        validation = source
        validationSplit = split
        var initRNG = SplitMix64(seed: config.seed)
        let plain: any Model<Float> = try ModelRegistry.make(ModelConfiguration(architecture: kind.generator, channels: train.channels, scale: config.scale), rng: &initRNG)
        isResidual = config.residual ?? (kind == .espcn)
        network = isResidual ? BicubicResidual(plain, startNearBicubic: true) : plain
        network.setThreads(config.threads)
        network.setTraining(true)
        optimizer = Adam<Float>(learningRate: config.learningRate, workers: config.threads)
        optimizer.weightDecay = config.weightDecay
        if kind.adversarial {
            let d = Discriminator<Float>(channels: train.channels, separable: kind == .swiftSRGAN, rng: &initRNG)
            d.setThreads(config.threads)
            d.setTraining(true)
            discriminator = d
            discriminatorOptimizer = Adam<Float>(learningRate: config.learningRate, workers: config.threads)
        } else {
            discriminator = nil
            discriminatorOptimizer = nil
        }
        if let path = config.perceptualWeights {
            guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError(message: "\(path): perceptual weights missing or unreadable") }
            let loss = try PerceptualLoss(try SafeTensors.decode([UInt8](data), path: path), path: path)
            loss.setThreads(config.threads)
            perceptual = loss
        } else {
            perceptual = nil
        }
        if let path = config.initialWeights {
            guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError(message: "\(path): weights missing or unreadable") }
            try network.load(try SafeTensors.decode([UInt8](data), path: path), path: path)
        }
        rng = SplitMix64(seed: config.seed ^ 0x5EED_DA7A)
    }

    public var modelURL: URL { run.appendingPathComponent("model.safetensors") }
    public var checkpointURL: URL { run.appendingPathComponent("checkpoint.safetensors") }
    public var currentStep: Int { step }
    public var validationSplitName: String? { validationSplit }

    /// Trains until `config.steps` (or stops after step `until`, leaving a checkpoint, as an
    /// interrupted run would), calling `progress(step, loss)` after each step.
    public func train(until: Int? = nil, progress: (Int, Double) -> Void = { _, _ in }) throws {
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let start = Date()
        let offset = records.last?.seconds ?? 0
        if bicubic == nil, let validation { bicubic = try Self.bicubicScores(validation, limit: config.validationTiles, scale: config.scale) }
        while step < config.steps {
            let (x, y) = try Patches.batch(train, size: config.batch, patch: config.patch, scale: config.scale, rng: &rng)
            let lr = config.schedule.rate(config.learningRate, step: step, total: config.steps)
            let (loss, dLoss) = try trainStep(x, y, lr: lr)
            step += 1
            var record = TrainingRecord(step: step, loss: loss, learningRate: lr, seconds: offset + Date().timeIntervalSince(start),
                                        discriminatorLoss: dLoss)
            if step % config.validateEvery == 0 || step == config.steps, let validation {
                let (p, s) = try validate(validation)
                record.valPSNR = p
                record.valSSIM = s
            }
            records.append(record)
            progress(step, loss)
            if step % config.checkpointEvery == 0 || step == config.steps || step == until { try saveCheckpoint() }
            if step == until { return }
        }
        try writeOutputs()
    }

    /// One optimisation step: the discriminator's (GAN models) then the generator's.
    /// - Returns: the generator's total loss and the discriminator's loss.
    func trainStep(_ x: Tensor<Float>, _ y: Tensor<Float>, lr: Double) throws -> (Double, Double?) {
        network.zeroGradients()
        let sr = network.forward(x)
        var (loss, g) = config.contentLoss == "l1" ? Loss.l1(sr, y) : Loss.mse(sr, y)
        if config.tvWeight > 0 {
            let tv = Loss.totalVariation(sr)
            loss += config.tvWeight * tv.value
            let w = Float(config.tvWeight)
            for i in g.data.indices { g.data[i] += w * tv.gradient.data[i] }
        }
        if let perceptual {
            let p = perceptual(sr, y)
            loss += config.perceptualWeight * p.value
            let w = Float(config.perceptualWeight)
            for i in g.data.indices { g.data[i] += w * p.gradient.data[i] }
        }
        var dLoss: Double?
        if let d = discriminator, let dOptimizer = discriminatorOptimizer {
            // Discriminator: real HR patches → 1, generated ones → 0.
            d.zeroGradients()
            let real = Loss.bceWithLogits(d.forward(y), target: 1)
            d.backward(real.gradient)
            let fake = Loss.bceWithLogits(d.forward(sr), target: 0)
            d.backward(fake.gradient)
            dOptimizer.update(d.trainable, lr: lr)
            dLoss = real.value + fake.value
            // Generator's adversarial term: the updated discriminator should call SR real.
            d.zeroGradients()
            let adversarial = Loss.bceWithLogits(d.forward(sr), target: 1)
            let dsr = d.backward(adversarial.gradient)
            let w = Float(config.adversarialWeight)
            for i in g.data.indices { g.data[i] += w * dsr.data[i] }
            loss += config.adversarialWeight * adversarial.value
        }
        guard loss.isFinite else { throw TrainingError(message: "the loss became \(loss) at step \(step + 1); lower --lr") }
        network.backward(g)
        optimizer.update(network.trainable, lr: lr)
        return (loss, dLoss)
    }

    /// Mean PSNR and SSIM of the model on whole validation tiles (values in [0, 1]), with batch
    /// norm on its running statistics.
    func validate(_ source: TileSource) throws -> (Double, Double) {
        network.setTraining(false)
        defer { network.setTraining(true) }
        var psnr = 0.0, ssim = 0.0
        let n = min(source.count, config.validationTiles)
        for i in 0 ..< n {
            let (hr, lr) = try source.pair(i)
            let x = Tensor<Float>(channels: source.channels, batch: 1, rows: source.lrTile, columns: source.lrTile, data: lr)
            let y = network.forward(x).data.map { min(max($0, 0), 1) }
            let (p, s) = try Self.score(y, hr, channels: source.channels, side: source.tile)
            psnr += p
            ssim += s
        }
        return (psnr / Double(n), ssim / Double(n))
    }

    static func score(_ a: [Float], _ b: [Float], channels: Int, side: Int) throws -> (Double, Double) {
        let planeSize = side * side
        let pa = (0 ..< channels).map { Plane(rows: side, columns: side, values: Array(a[$0 * planeSize ..< ($0 + 1) * planeSize])) }
        let pb = (0 ..< channels).map { Plane(rows: side, columns: side, values: Array(b[$0 * planeSize ..< ($0 + 1) * planeSize])) }
        let s = try Scoring.score(reference: pb, candidate: pa, dataRange: 1)
        return (s.psnr.isFinite ? s.psnr : 100, s.ssim)
    }

    static func bicubicScores(_ source: TileSource, limit: Int, scale: Int) throws -> (psnr: Double, ssim: Double) {
        var psnr = 0.0, ssim = 0.0
        let n = min(source.count, limit)
        for i in 0 ..< n {
            let (hr, lr) = try source.pair(i)
            var up = [Float]()
            for c in 0 ..< source.channels {
                let plane = Array(lr[c * source.lrTile * source.lrTile ..< (c + 1) * source.lrTile * source.lrTile])
                let p = PixelArray(rows: source.lrTile, columns: source.lrTile, samples: .float32(plane))
                up += Resample.bicubic(p, columns: source.tile, rows: source.tile).samples.floats().map { min(max($0, 0), 1) }
            }
            let (p, s) = try score(up, hr, channels: source.channels, side: source.tile)
            psnr += p
            ssim += s
        }
        return (psnr / Double(n), ssim / Double(n))
    }
}

extension Trainer {
    /// One console line for a validated step: the model's PSNR and SSIM beside bicubic's on
    /// the same tiles, and the difference; nil for steps without validation.
    public func validationLine(_ record: TrainingRecord) -> String? {
        guard let p = record.valPSNR, let s = record.valSSIM else { return nil }
        var line = String(format: "step %d  validation: %@ PSNR %.2f dB, SSIM %.4f", record.step, kind.displayName, p, s)
        if let b = bicubic {
            line += String(format: "; bicubic %.2f dB, %.4f; %+.2f dB, %+.4f SSIM", b.psnr, b.ssim, p - b.psnr, s - b.ssim)
        }
        return line
    }

    /// A warning when the last validation left the model behind bicubic on PSNR or SSIM.
    public var behindBicubicWarning: String? {
        guard let r = records.last(where: { $0.valPSNR != nil }), let p = r.valPSNR, let s = r.valSSIM, let b = bicubic else { return nil }
        guard p < b.psnr || s < b.ssim else { return nil }
        return String(format: "warning: after %d steps the model is behind bicubic on the validation tiles (PSNR %.2f vs %.2f dB, SSIM %.4f vs %.4f): "
            + "upscaling with it loses to plain interpolation; train longer (--steps), check the dataset's tiles, or keep bicubic",
            r.step, p, b.psnr, s, b.ssim)
    }
}
