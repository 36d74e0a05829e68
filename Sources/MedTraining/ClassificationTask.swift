public import Foundation
public import MedDataset
public import MedImage
public import MedMetrics
public import MedNN
public import MedReport
import Zarr

/// What a classifier run needs beyond the loop's schedule.
public struct ClassifierTrainingConfig: Sendable {
    public var architecture = "cnn-small"
    public var labels = ClassLabels.Kind.label
    /// The LR array of this scale as input (`--input lr_x4`), or nil for HR tiles.
    public var inputScale: Int?
    public var batch = 16
    public var optimizer = OptimizerKind.adamw
    public var learningRate = 1e-3
    public var weightDecay = 1e-4
    public var momentum = 0.9
    public var nesterov = false
    /// Balanced class weights (n / (K · n_k)), single-label only.
    public var balancedWeights = false
    public var labelSmoothing = 0.0
    /// Intensity jitter: each training tile is scaled by 1 ± j and shifted by ± j/2.
    public var jitter = 0.1
    /// Stop after this many validations without a better macro AUC (nil: never).
    public var patience: Int?
    /// Validation tiles at most (the first ones of the split).
    public var validationTiles = 512
    public var seed: UInt64 = 1
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public init() {}
}

/// Classifier training on a dataset's tiles: random dihedral transforms (flips, 90° rotations)
/// and intensity jitter, softmax cross-entropy (class weights, label smoothing) for one label
/// per tile or binary cross-entropy per finding for NIH's multi-label findings; validation
/// macro ROC AUC and accuracy on the validation split (else test); early stopping on the AUC.
public final class ClassificationTask: TrainingTask {
    public let config: ClassifierTrainingConfig
    public let labels: ClassLabels
    let dataset: Dataset
    let train: TileSource
    let trainLabels: [String]
    let validation: TileSource?
    let validationLabels: [String]
    public let validationSplit: String?
    let network: any Model<Float>
    public let slots: [TrainingSlot]
    let classWeights: [Double]?

    public init(config: ClassifierTrainingConfig, dataset: Dataset) throws {
        self.config = config
        self.dataset = dataset
        labels = try ClassLabels(dataset: dataset, kind: config.labels)
        train = try TileSource(dataset: dataset, split: "train", scale: config.inputScale)
        guard train.count > 0 else { throw Trainer.TrainingError(message: "the train split has no tiles") }
        trainLabels = try ClassLabels.tileLabels(dataset, split: "train").labels
        var v: TileSource?, vl = [String](), vs: String?
        for name in ["val", "test"] {
            if let s = try? TileSource(dataset: dataset, split: name, scale: config.inputScale), s.count > 0 {
                v = s; vs = name; vl = try ClassLabels.tileLabels(dataset, split: name).labels
                break
            }
        }
        (validation, validationLabels, validationSplit) = (v, vl, vs)
        var rng = SplitMix64(seed: config.seed)
        let configuration = ModelConfiguration(architecture: config.architecture, channels: train.channels, classes: labels.count)
        do { network = try ModelRegistry.make(configuration, rng: &rng) } catch { throw Trainer.TrainingError(message: "\(error)") }
        guard let minimum = (network as? ClassifierNetwork<Float>)?.minimumSize, train.inputTile >= minimum else {
            throw Trainer.TrainingError(message: "\(config.architecture) needs \((network as? ClassifierNetwork<Float>)?.minimumSize ?? 0)² inputs or larger; the tiles are \(train.inputTile)²")
        }
        network.setThreads(config.threads)
        network.setTraining(true)
        let optimizer: any Optimizer<Float> = config.optimizer.make(learningRate: config.learningRate, weightDecay: config.weightDecay,
                                                                   momentum: config.momentum, nesterov: config.nesterov, workers: config.threads)
        slots = [TrainingSlot(model: network, optimizer: optimizer, prefix: "", optimizerPrefix: "adam.")]
        let (names, seen) = (labels.names, trainLabels)
        if config.balancedWeights && !labels.isMultiLabel {
            let counts = names.map { n in seen.filter { $0 == n }.count }
            let total = Double(counts.reduce(0, +)), k = Double(names.count)
            classWeights = counts.map { $0 > 0 ? total / (k * Double($0)) : 0 }
        } else {
            classWeights = nil
        }
    }

    public var task: ModelTask { .classification }
    public var displayName: String { config.architecture }
    public var columns: [String] { ["val_auc", "val_accuracy"] }

    /// One batch: random tiles, a random dihedral transform each, intensity jitter.
    public func step(lr: Double, rng: inout SplitMix64) throws -> StepOutcome {
        let t = train.inputTile, c = train.channels, n = config.batch
        var x = Tensor<Float>(channels: c, batch: n, rows: t, columns: t)
        var indices = [Int](), targets = Tensor<Float>(channels: labels.count, batch: n, rows: 1, columns: 1)
        for b in 0 ..< n {
            let i = Int(rng.next() % UInt64(train.count))
            indices.append(labels.index(trainLabels[i]) ?? 0)
            let tiles = try train.tiles(i)
            Patches.copy(config.inputScale == nil ? tiles.hr : tiles.lr, tile: t, x: 0, y: 0, size: t, channels: c,
                         transform: Int(rng.next() % 8), into: &x, batch: b)
            let a = Float(1 + config.jitter * (2 * Double(rng.next() % 10000) / 10000 - 1))
            let s = Float(config.jitter / 2 * (2 * Double(rng.next() % 10000) / 10000 - 1))
            for ch in 0 ..< c { for p in 0 ..< t * t { x.data[(ch * n + b) * t * t + p] = x.data[(ch * n + b) * t * t + p] * a + s } }
            for (k, on) in labels.targets(trainLabels[i]).enumerated() { targets.data[k * n + b] = on ? 1 : 0 }
        }
        network.zeroGradients()
        let logits = network.forward(x)
        let (loss, g) = labels.isMultiLabel ? Loss.bceWithLogits(logits, targets: targets)
            : Loss.crossEntropy(logits, labels: indices, weights: classWeights, labelSmoothing: config.labelSmoothing)
        network.backward(g)
        slots[0].optimizer.update(network.trainable, lr: lr)
        return StepOutcome(loss: loss)
    }

    /// Probabilities (softmax, or sigmoid per finding) of the first `limit` tiles of a source.
    func probabilities(_ source: TileSource, limit: Int) throws -> [[Double]] {
        network.setTraining(false)
        defer { network.setTraining(true) }
        return try Classifier.probabilities(network, multiLabel: labels.isMultiLabel, count: min(limit, source.count), channels: source.channels,
                                            side: source.inputTile) { i in
            let t = try source.tiles(i)
            return config.inputScale == nil ? t.hr : t.lr
        }
    }

    public func validate() throws -> [String: Double] {
        guard let validation else { return [:] }
        let p = try probabilities(validation, limit: config.validationTiles)
        let truth = validationLabels.prefix(p.count).map(labels.targets)
        var values = ["val_auc": ClassificationMetrics.macroAUC(scores: p, positives: Array(truth))]
        if !labels.isMultiLabel {
            let argmax = p.map { row in row.indices.max(by: { row[$0] < row[$1] }) ?? 0 }
            values["val_accuracy"] = ClassificationMetrics.accuracy(predicted: argmax, truth: validationLabels.prefix(p.count).map { labels.index($0) ?? -1 })
        }
        return values
    }

    public func shouldStop(records: [TrainingRecord]) -> Bool {
        guard let patience = config.patience else { return false }
        let aucs = records.compactMap { $0.values["val_auc"] }.filter { $0.isFinite }
        guard let best = aucs.indices.max(by: { aucs[$0] < aucs[$1] }) else { return false }
        return aucs.count - 1 - best >= patience
    }

    public var metadata: [String: String] {
        labels.metadata.merging([
            "data_max": String(Int(train.dataMax)), "input": config.inputScale.map { "lr_x\($0)" } ?? "hr",
            "tile": String(train.inputTile), "batch": String(config.batch), "optimizer": config.optimizer.rawValue,
            "weight_decay": String(config.weightDecay), "label_smoothing": String(config.labelSmoothing),
            "class_weights": classWeights == nil ? "none" : "balanced", "dataset_recipe": dataset.card["recipe"]?.stringValue ?? "",
        ]) { a, _ in a }
    }

    public func checkResume(_ m: [String: String], path: String) throws {
        guard m["architecture"] == config.architecture, m["class_names"] == labels.metadata["class_names"] else {
            throw Trainer.TrainingError(message: "\(path): a checkpoint of \(m["architecture"] ?? "?") with other classes cannot resume this run")
        }
    }

    public func validationLine(_ record: TrainingRecord) -> String? {
        guard let auc = record.values["val_auc"] else { return nil }
        var line = String(format: "step %d  validation (%@): macro AUC %.4f", record.step, validationSplit ?? "?", auc)
        if let a = record.values["val_accuracy"] { line += String(format: ", accuracy %.4f", a) }
        return line
    }

    public var reportIntroduction: String {
        "Dataset recipe \(dataset.card["recipe"]?.stringValue ?? "?"), \(train.count) training tiles of \(train.inputTile)² (\(config.inputScale.map { "LR ×\($0)" } ?? "HR")), "
            + "\(labels.count) \(labels.isMultiLabel ? "findings (multi-label, BCE)" : "classes (cross-entropy\(classWeights == nil ? "" : ", balanced weights"))"), "
            + "\(config.architecture), batch \(config.batch), \(config.optimizer.rawValue) lr \(config.learningRate), seed \(config.seed)."
    }

    public func addReport(to page: inout HTMLReport, records: [TrainingRecord]) throws {
        let validated = records.filter { $0.values["val_auc"] != nil }
        guard !validated.isEmpty else { return }
        page.addFigure(heading: nil, svg: SVGPlot.lines(title: "validation macro AUC", x: validated.map { Double($0.step) },
                                                         series: [("macro AUC", validated.map { $0.values["val_auc"]! })]),
                       caption: "Macro ROC AUC on the \(validationSplit ?? "validation") split.")
    }
}

