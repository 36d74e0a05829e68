public import Foundation
public import MedImage
public import MedNN
public import MedReport
public import MedMetrics

/// What one kind of training does, for the one loop (`TrainingLoop`) that runs them all: what a
/// batch is and how a step uses it (pairs of degraded and clean images, images and labels,
/// noise and images), the losses, an optional adversarial step, the validation metrics, what
/// the model file records, and the task's part of the report. The loop owns the step count,
/// the random generator, schedules, checkpoints, resume, `metrics.csv` and `report.html`.
public protocol TrainingTask: AnyObject {
    /// Recorded as `task` in model files and checkpoints.
    var task: ModelTask { get }
    /// Name in console lines and reports ("ESPCN", "U-Net + PatchGAN").
    var displayName: String { get }
    /// The networks trained, each with its optimiser; the first is the model the run delivers.
    var slots: [TrainingSlot] { get }
    /// Named values a step or a validation reports, in `metrics.csv` column order.
    var columns: [String] { get }
    /// Called once before the first step of this process (e.g. scores of a baseline).
    func prepare() throws
    /// One optimisation step of every slot on a batch drawn from `rng`, at learning rate `lr`.
    func step(lr: Double, rng: inout SplitMix64) throws -> StepOutcome
    /// Validation values (a subset of `columns`); empty when there is nothing to validate on.
    func validate() throws -> [String: Double]
    /// Whether training should stop early after this validation (e.g. no better for N checks).
    func shouldStop(records: [TrainingRecord]) -> Bool
    /// What the model and checkpoint files record besides the configuration (strings).
    var metadata: [String: String] { get }
    /// Throws when a checkpoint written with `metadata` cannot continue this run.
    func checkResume(_ metadata: [String: String], path: String) throws
    /// The delivered model file (safetensors).
    func modelFile(metadata: [String: String]) throws -> [UInt8]
    /// One console line for a validated record, or nil.
    func validationLine(_ record: TrainingRecord) -> String?
    /// The report's opening paragraph: data, model, losses, optimiser, validation.
    var reportIntroduction: String { get }
    /// Adds the task's sections (validation curves, samples, tables) to the run's report.
    func addReport(to page: inout HTMLReport, records: [TrainingRecord]) throws
}

extension TrainingTask {
    public func prepare() throws {}
    public func shouldStop(records: [TrainingRecord]) -> Bool { false }
    public func modelFile(metadata: [String: String]) throws -> [UInt8] { slots[0].model.safetensors(metadata: metadata) }
}

/// A network under training and its optimiser, with the names its tensors carry in checkpoints.
public final class TrainingSlot {
    public let model: any Model<Float>
    public let optimizer: any Optimizer<Float>
    /// Prefix of the network's tensors in a checkpoint ("" for the delivered model).
    public let prefix: String
    /// Prefix of the optimiser's state in a checkpoint ("adam." for the first slot, "adam_d." …).
    public let optimizerPrefix: String

    public init(model: any Model<Float>, optimizer: any Optimizer<Float>, prefix: String, optimizerPrefix: String) {
        self.model = model
        self.optimizer = optimizer
        self.prefix = prefix
        self.optimizerPrefix = optimizerPrefix
    }

    /// The metadata key of the optimiser's step count ("adam_step", "adam_d_step").
    var stepKey: String { String(optimizerPrefix.dropLast()) + "_step" }
}

/// What a step reports: the delivered model's total loss and further named values.
public struct StepOutcome: Sendable {
    public var loss: Double
    public var values: [String: Double]
    public init(loss: Double, values: [String: Double] = [:]) {
        self.loss = loss
        self.values = values
    }
}

/// One row of `metrics.csv`: step, loss, learning rate, the task's named values, seconds.
public struct TrainingRecord: Sendable {
    public var step: Int
    /// The delivered model's total loss.
    public var loss: Double
    public var learningRate: Double
    /// Wall-clock seconds since the run began (across resumes).
    public var seconds: Double
    /// Named values of the task's `columns` (validation values only on validated steps).
    public var values: [String: Double]

    public init(step: Int, loss: Double, learningRate: Double, seconds: Double, values: [String: Double] = [:]) {
        self.step = step
        self.loss = loss
        self.learningRate = learningRate
        self.seconds = seconds
        self.values = values
    }

    /// Image tasks: validation PSNR and SSIM; GAN tasks: the discriminator's loss.
    public var valPSNR: Double? { values["val_psnr"] }
    public var valSSIM: Double? { values["val_ssim"] }
    public var discriminatorLoss: Double? { values["d_loss"] }
}
