public import Foundation
public import MedDataset
import MedImage
import MedMetrics
public import MedNN
import MedReport
import Zarr

/// What `medsr train` is asked to do.
public struct TrainingConfig: Sendable {
    /// A preset (`TrainingPreset`): espcn, srresnet, srgan, swift-srgan; unet, pix2pix, dae, dncnn.
    public var model = "espcn"
    /// Decoupled weight decay (AdamW) for the generator; 0: Adam. SGD: L2 decay.
    public var weightDecay = 0.0
    public var optimizer = OptimizerKind.adam
    /// SGD's momentum and Nesterov flag.
    public var momentum = 0.9
    public var nesterov = false
    public var contentLoss = ContentLoss.mse
    /// Weight of the adversarial term in the generator's loss (GAN presets; nil: the preset's).
    public var adversarialWeight = 1e-3
    /// Weight of the total-variation term (0: none).
    public var tvWeight = 0.0
    /// Generator weights to start from (e.g. a trained SRResNet before SRGAN), safetensors.
    public var initialWeights: String?
    /// VGG `features` weights (torchvision names) for a perceptual loss; nil: none.
    public var perceptualWeights: String?
    /// Weight of the perceptual loss (SRGAN's VGG loss is scaled by 0.006).
    public var perceptualWeight = 0.006
    /// SR: the upscaling factor (the dataset's lr_x array).
    public var scale = 4
    /// Restoration: the degradation spec (`blur:gaussian:2`, `noise:gaussian:15`, chains with +).
    public var degradation: String?
    /// Side of the input patch (the target patch is `patch × scale`).
    public var patch = 32
    public var batch = 16
    public var steps = 1000
    public var learningRate = 1e-3
    public var schedule = LearningRateSchedule(.cosine)
    public var seed: UInt64 = 1
    public var validateEvery = 100
    public var validationTiles = 32
    public var checkpointEvery = 500
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Learn the difference to bicubic (`BicubicResidual`) instead of the whole image; nil: on
    /// for ESPCN, off for the SRResNet family (its GAN variants end in a bounded activation).
    public var residual: Bool?
    /// Architecture sizes (nil: the architecture's defaults) and options.
    public var width: Int?
    public var depth: Int?
    public var modelOptions: [String: String] = [:]

    public init() {}
}

/// The content loss of image-to-image training.
public enum ContentLoss: String, Sendable, CaseIterable {
    case mse, l1
    /// √((x − y)² + ε²), ε = 1e-3: L1 with a smooth minimum (LapSRN, many restoration papers).
    case charbonnier

    func apply(_ prediction: Tensor<Float>, _ target: Tensor<Float>) -> (value: Double, gradient: Tensor<Float>) {
        switch self {
        case .mse: Loss.mse(prediction, target)
        case .l1: Loss.l1(prediction, target)
        case .charbonnier: Loss.charbonnier(prediction, target)
        }
    }
}

/// What `medsr train --model` names: a generator architecture of the registry, and for GAN
/// presets the discriminator trained alongside, with the defaults of the paper.
public struct TrainingPreset: Sendable {
    public let name: String
    public let task: ModelTask
    public let displayName: String
    /// Registry names.
    public let generator: String
    public let discriminator: String?
    /// The discriminator sees the input beside the output (pix2pix), not the output alone.
    public let conditional: Bool
    public let learningRate: Double
    public let contentLoss: ContentLoss
    public let adversarialWeight: Double
    /// One line for `--help`.
    public let summary: String

    /// Every preset, in `--help` order.
    public static let all: [TrainingPreset] = [
        TrainingPreset(name: "espcn", task: .superResolution, displayName: "ESPCN", generator: "espcn", discriminator: nil, conditional: false,
                       learningRate: 1e-3, contentLoss: .mse, adversarialWeight: 0, summary: "Shi et al. 2016. Scales 2, 3, 4."),
        TrainingPreset(name: "srresnet", task: .superResolution, displayName: "SRResNet", generator: "srresnet", discriminator: nil, conditional: false,
                       learningRate: 1e-4, contentLoss: .mse, adversarialWeight: 0,
                       summary: "Ledig et al. 2017: 16 residual blocks, batch norm, PReLU. Scales 2, 3, 4, 8."),
        TrainingPreset(name: "srgan", task: .superResolution, displayName: "SRGAN", generator: "srresnet", discriminator: "srgan-discriminator",
                       conditional: false, learningRate: 1e-4, contentLoss: .mse, adversarialWeight: 1e-3,
                       summary: "SRResNet against the SRGAN discriminator (content + --adversarial-weight × adversarial). Start from a trained SRResNet with --init."),
        TrainingPreset(name: "swift-srgan", task: .superResolution, displayName: "Swift-SRGAN", generator: "swift-srgan",
                       discriminator: "swift-srgan-discriminator", conditional: false, learningRate: 1e-4, contentLoss: .mse, adversarialWeight: 1e-3,
                       summary: "Krishnan et al. 2021: the same with depthwise-separable convolutions."),
        TrainingPreset(name: "unet", task: .restoration, displayName: "U-Net", generator: "unet", discriminator: nil, conditional: false,
                       learningRate: 1e-3, contentLoss: .mse, adversarialWeight: 0,
                       summary: "The microscopy study's generator: conv + 2×2 max-pool encoder to a 128-channel bottleneck at 1/8 size, up-sampling + skip concatenation (--depth, --width). Patches a multiple of 2^depth."),
        TrainingPreset(name: "pix2pix", task: .restoration, displayName: "pix2pix", generator: "unet", discriminator: "patchgan", conditional: true,
                       learningRate: 2e-4, contentLoss: .l1, adversarialWeight: 0.01,
                       summary: "Isola et al. 2017: that U-Net against a 70×70 PatchGAN that sees input and output; L1 + 0.01 × adversarial (pix2pix's λ = 100), Adam β1 0.5 for the discriminator."),
        TrainingPreset(name: "dae", task: .restoration, displayName: "DAE", generator: "dae", discriminator: nil, conditional: false,
                       learningRate: 1e-3, contentLoss: .mse, adversarialWeight: 0,
                       summary: "A convolutional denoising autoencoder as the brain-tumour study used (conv + pool encoder, up-sampling decoder)."),
        TrainingPreset(name: "dncnn", task: .restoration, displayName: "DnCNN", generator: "dncnn", discriminator: nil, conditional: false,
                       learningRate: 1e-3, contentLoss: .mse, adversarialWeight: 0,
                       summary: "Zhang et al. 2017: 17 layers of 64 channels with batch norm, learning the residual (the noise); the standard for denoising."),
    ]

    public static func named(_ name: String) -> TrainingPreset? { all.first { $0.name == name } }
    public static func names(task: ModelTask) -> [String] { all.filter { $0.task == task }.map(\.name) }
    public var adversarial: Bool { discriminator != nil }
}

/// Trains a model on a dataset with the one training loop: super-resolution on a dataset's
/// LR/HR pairs, restoration on its HR tiles and their degraded copies. Validates on the val
/// split (test when val is empty) beside a baseline; writes checkpoints that resume exactly,
/// `metrics.csv`, `model.safetensors` and `report.html`.
public final class Trainer {
    public let config: TrainingConfig
    public let dataset: Dataset
    public let run: URL
    public let preset: TrainingPreset
    let task: ImagePairTask
    public let loop: TrainingLoop

    public struct TrainingError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public init(message: String) { self.message = message }
        public var description: String { "train: \(message)" }
    }

    public init(config: TrainingConfig, dataset: Dataset, run: URL) throws {
        guard let preset = TrainingPreset.named(config.model) else {
            throw TrainingError(message: "model '\(config.model)' is unknown (known: \(TrainingPreset.all.map(\.name).joined(separator: ", ")))")
        }
        self.preset = preset
        self.config = config
        self.dataset = dataset
        self.run = run
        let splits = ["val", "test"]
        let train: any PairSource
        var validation: (any PairSource)?
        var validationSplit: String?
        switch preset.task {
        case .superResolution:
            let scales = (try? ModelRegistry.architecture(preset.generator).scales) ?? []
            guard scales.contains(config.scale) else {
                throw TrainingError(message: "\(preset.displayName) scales are \(scales.map(String.init).joined(separator: ", ")), not \(config.scale)")
            }
            guard dataset.scales.contains(config.scale) else {
                throw TrainingError(message: "the dataset has LR scales \(dataset.scales.map(String.init).joined(separator: ", ")), not ×\(config.scale)")
            }
            train = try TileSource(dataset: dataset, split: "train", scale: config.scale)
            for name in splits {
                if let s = try? TileSource(dataset: dataset, split: name, scale: config.scale), s.count > 0 { validation = s; validationSplit = name; break }
            }
        case .restoration:
            guard let spec = config.degradation else {
                throw TrainingError(message: "restoration needs --degradation (e.g. blur:gaussian:2 or noise:gaussian:15)")
            }
            let degrade = try Self.degrader(spec)
            train = DegradedSource(base: try TileSource(dataset: dataset, split: "train", scale: nil), seed: config.seed, degrade: degrade)
            for name in splits {
                if let s = try? TileSource(dataset: dataset, split: name, scale: nil), s.count > 0 {
                    validation = DegradedSource(base: s, seed: config.seed ^ 0x0A1_1DA7E, degrade: degrade)
                    validationSplit = name
                    break
                }
            }
        default:
            throw TrainingError(message: "\(preset.name) is a \(preset.task.rawValue) model; this trainer trains sr and restore models")
        }
        guard train.count > 0 else { throw TrainingError(message: "the train split has no tiles") }
        guard config.patch >= 4, config.patch <= train.inputTile else {
            throw TrainingError(message: "--patch \(config.patch) must be 4…\(train.inputTile) (the \(preset.task == .superResolution ? "LR " : "")tile side)")
        }
        task = try ImagePairTask(config: config, preset: preset, dataset: dataset, train: train, validation: validation, validationSplit: validationSplit)
        loop = TrainingLoop(task: task, settings: LoopSettings(steps: config.steps, learningRate: config.learningRate, schedule: config.schedule,
                                                               seed: config.seed, validateEvery: config.validateEvery,
                                                               checkpointEvery: config.checkpointEvery), run: run)
    }

    /// A restoration degradation from its spec (the model file records the spec).
    static func degrader(_ spec: String) throws -> @Sendable ([Float], Int, Int, UInt64) throws -> [Float] {
        let degradation: Degradation
        do { degradation = try Degradation(parsing: spec) } catch { throw TrainingError(message: "\(error)") }
        return { planar, channels, side, seed in
            let n = side * side
            let planes = (0 ..< channels).map { Plane(rows: side, columns: side, values: Array(planar[$0 * n ..< ($0 + 1) * n])) }
            return try degradation.apply(to: planes, seed: seed, tileIndex: 0).flatMap(\.values)
        }
    }

    public var modelURL: URL { loop.modelURL }
    public var checkpointURL: URL { loop.checkpointURL }
    public var currentStep: Int { loop.step }
    public var records: [TrainingRecord] { loop.records }
    public var validationSplitName: String? { task.validationSplit }
    public var displayName: String { task.displayName }
    /// The network learns the difference to bicubic (saved as `residual: bicubic`).
    public var isResidual: Bool { task.isResidual }
    /// The baseline on the validation tiles: bicubic (SR) or the degraded input (restoration).
    public var baseline: (psnr: Double, ssim: Double)? { task.baseline }
    public var baselineName: String { task.baselineName }

    /// Trains until `config.steps` (or stops after step `until`, leaving a checkpoint).
    public func train(until: Int? = nil, progress: (Int, Double) -> Void = { _, _ in }) throws {
        try loop.train(until: until, progress: progress)
    }

    public func resume(from path: String) throws { try loop.resume(from: path) }

    /// One console line for a validated step (the model beside the baseline), or nil.
    public func validationLine(_ record: TrainingRecord) -> String? { task.validationLine(record) }

    /// A warning when the last validation left the model behind the baseline.
    public var behindBaselineWarning: String? { task.behindBaselineWarning(records) }
}
