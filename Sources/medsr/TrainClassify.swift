public import ArgumentParser
import Foundation
public import MedDataset
import MedNN
import MedTraining
import Zarr

/// `medsr train --task classify` options (the rest are train's own).
struct ClassifyTrainOptions: ParsableArguments {
    @Option(help: "classify: label (tiles.csv's label column, one class per tile) or findings (NIH's findings, multi-label).")
    var labels: ClassLabels.Kind = .label
    @Option(help: "classify: the tiles to learn from: hr, or lr_xN (the dataset's LR tiles).") var input = "hr"
    @Option(parsing: .unconditional, help: "classify: stop after this many validations without a better macro AUC.") var patience: Int?
    @Option(name: .customLong("class-weights"), help: "classify: none or balanced (n / (K·n_k) per class, single-label).")
    var classWeights: ClassWeightChoice = .none
    @Option(name: .customLong("label-smoothing"), parsing: .unconditional, help: "classify: label smoothing in [0, 1).") var labelSmoothing = 0.0

    /// The LR scale of `--input`, nil for HR.
    func inputScale() throws -> Int? {
        if input == "hr" { return nil }
        guard input.hasPrefix("lr_x"), let s = Int(input.dropFirst(4)), s >= 2 else { throw ValidationError("--input is hr or lr_xN (e.g. lr_x4)") }
        return s
    }

    func check(model: String) throws {
        guard ModelRegistry.names(task: .classification).contains(model) else {
            throw ValidationError("--task classify: --model is \(ModelRegistry.names(task: .classification).joined(separator: ", "))")
        }
        _ = try inputScale()
        if !(0 ..< 1).contains(labelSmoothing) { throw ValidationError("--label-smoothing is in [0, 1)") }
        if (patience ?? 1) < 1 { throw ValidationError("--patience is ≥ 1") }
    }
}

enum ClassWeightChoice: String, ExpressibleByArgument, CaseIterable { case none, balanced }
extension ClassLabels.Kind: ExpressibleByArgument {}

extension Train {
    /// The classifier architecture: --model, or cnn-small when --model was left at its default.
    var classifierModel: String { model == "espcn" ? "cnn-small" : model }

    func runClassify() throws {
        let ds = try withCleanError { try Dataset(root: URL(fileURLWithPath: dataset)) }
        var config = ClassifierTrainingConfig()
        config.architecture = classifierModel
        config.labels = classify.labels
        config.inputScale = try classify.inputScale()
        config.batch = batch
        config.optimizer = optimizer == .adam && weightDecay > 0 ? .adamw : optimizer
        config.learningRate = lr ?? 1e-3
        config.weightDecay = weightDecay
        config.momentum = momentum
        config.nesterov = nesterov
        config.balancedWeights = classify.classWeights == .balanced
        config.labelSmoothing = classify.labelSmoothing
        config.patience = classify.patience
        config.validationTiles = valTiles
        config.seed = seed
        config.threads = threads ?? processorCount
        let total: Int
        if let epochs {
            let tiles = (try? ds.array("train", "hr").count) ?? 0
            total = epochs * max(1, tiles / batch)
        } else {
            total = steps ?? 1000
        }
        let settings = LoopSettings(steps: total, learningRate: config.learningRate, schedule: LearningRateSchedule(schedule, warmup: warmup),
                                    seed: seed, validateEvery: validateEvery, checkpointEvery: checkpointEvery)
        let runURL = URL(fileURLWithPath: out).standardizedFileURL
        try withCleanError { try Trainer.prepareRunFolder(runURL, resuming: resume != nil) }
        let task = try withCleanError { try ClassificationTask(config: config, dataset: ds) }
        let loop = TrainingLoop(task: task, settings: settings, run: runURL)
        if let resume { try withCleanError { try loop.resume(from: resume) } }
        print("training \(config.architecture) on \(task.labels.count) \(task.labels.isMultiLabel ? "findings" : "classes") "
            + "(\(task.labels.names.joined(separator: ", "))) for \(total) steps (from step \(loop.step)); validation on "
            + (task.validationSplit.map { "the \($0) split" } ?? "nothing (no val or test tiles)"))
        let bar = Progress(total: total - loop.step, unit: "steps")
        var last = 0.0
        try withCleanError {
            try loop.train { step, loss in
                last = loss
                bar.advance(detail: String(format: " loss %.5f ", loss))
                if let record = loop.records.last, record.step == step, let line = task.validationLine(record) { bar.note(line) }
            }
        }
        bar.finish()
        if loop.stoppedEarly { print("stopped early at step \(loop.step): no better validation AUC for \(config.patience ?? 0) validations") }
        print(String(format: "final loss %.6f; wrote %@, %@, metrics.csv, report.html", last, loop.modelURL.path, loop.checkpointURL.path))
    }
}
