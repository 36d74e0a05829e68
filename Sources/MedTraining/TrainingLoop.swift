public import Foundation
public import MedImage
public import MedNN
import MedDataset
public import MedMetrics
import MedReport
import Zarr

/// The schedule of a run: how long, how fast, how often to validate and checkpoint.
public struct LoopSettings: Sendable {
    public var steps: Int
    public var learningRate: Double
    public var schedule: LearningRateSchedule
    public var seed: UInt64
    public var validateEvery: Int
    public var checkpointEvery: Int
    public init(steps: Int, learningRate: Double, schedule: LearningRateSchedule, seed: UInt64, validateEvery: Int, checkpointEvery: Int) {
        self.steps = steps
        self.learningRate = learningRate
        self.schedule = schedule
        self.seed = seed
        self.validateEvery = max(1, validateEvery)
        self.checkpointEvery = max(1, checkpointEvery)
    }
}

/// The one training loop: runs a `TrainingTask` step by step with the schedule, validates,
/// writes checkpoints that resume byte-identically (every network, every optimiser state, the
/// step and the random generator), `metrics.csv`, the model file and `report.html`.
public final class TrainingLoop {
    public let task: any TrainingTask
    public let settings: LoopSettings
    public let run: URL
    var rng: SplitMix64
    public private(set) var step = 0
    public internal(set) var records: [TrainingRecord] = []
    private var prepared = false
    /// Set when the task asked to stop early.
    public private(set) var stoppedEarly = false

    public init(task: any TrainingTask, settings: LoopSettings, run: URL) {
        self.task = task
        self.settings = settings
        self.run = run
        rng = SplitMix64(seed: settings.seed ^ 0x5EED_DA7A)
    }

    public var modelURL: URL { run.appendingPathComponent("model.safetensors") }
    public var checkpointURL: URL { run.appendingPathComponent("checkpoint.safetensors") }

    /// Trains until `settings.steps` or an early stop (or stops after step `until`, leaving a
    /// checkpoint, as an interrupted run would), calling `progress(step, loss)` after each step.
    public func train(until: Int? = nil, progress: (Int, Double) -> Void = { _, _ in }) throws {
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let start = Date()
        let offset = records.last?.seconds ?? 0
        if !prepared {
            try task.prepare()
            prepared = true
        }
        while step < settings.steps {
            let lr = settings.schedule.rate(settings.learningRate, step: step, total: settings.steps)
            let outcome = try task.step(lr: lr, rng: &rng)
            guard outcome.loss.isFinite else {
                throw Trainer.TrainingError(message: "the loss became \(outcome.loss) at step \(step + 1); lower --lr")
            }
            step += 1
            var record = TrainingRecord(step: step, loss: outcome.loss, learningRate: lr, seconds: offset + Date().timeIntervalSince(start),
                                        values: outcome.values)
            var stop = false
            if step % settings.validateEvery == 0 || step == settings.steps {
                record.values.merge(try task.validate()) { _, new in new }
                records.append(record)
                stop = task.shouldStop(records: records)
            } else {
                records.append(record)
            }
            progress(step, outcome.loss)
            if stop {
                stoppedEarly = true
                try saveCheckpoint()
                break
            }
            if step % settings.checkpointEvery == 0 || step == settings.steps || step == until { try saveCheckpoint() }
            if step == until { return }
        }
        try writeOutputs()
    }

    /// What every file of the run records: the task's metadata, the delivered network's
    /// configuration, the step count.
    func metadata() -> [String: String] {
        task.metadata.merging(["task": task.task.rawValue, "steps": String(step), "trained_by": "medsr \(MedSRVersion.string)",
                               "seed": String(settings.seed), "lr": String(settings.learningRate),
                               "schedule": settings.schedule.shape.rawValue, "warmup": String(settings.schedule.warmup)]) { a, _ in a }
    }

    /// Every network's tensors, every optimiser's state, the step, the generator state.
    func saveCheckpoint() throws {
        var file = SafeTensors.File()
        var meta = slotsMetadata()
        for slot in task.slots {
            for p in slot.model.parameters {
                file.tensors[slot.prefix + p.name] = (p.shape, p.value)
                if p.isInteger { file.integers.insert(slot.prefix + p.name) }
            }
            let shapes = Dictionary(uniqueKeysWithValues: slot.model.trainable.map { ($0.name, $0.shape) })
            for (key, values) in slot.optimizer.state {
                // State named "<kind>.<parameter name>": shaped as its parameter.
                let name = String(key.drop { $0 != "." }.dropFirst())
                file.tensors[slot.optimizerPrefix + key] = (shapes[name] ?? [values.count], values)
            }
            meta[slot.stepKey] = String(slot.optimizer.step)
        }
        file.metadata = slotsMetadata().merging(metadata()) { a, _ in a }.merging(meta) { _, new in new }.merging([
            "format": "pt", "checkpoint_step": String(step), "rng_state": String(rng.state, radix: 16), "steps_total": String(settings.steps),
        ]) { _, new in new }
        try FileStore.writeAtomically(SafeTensors.encode(file), to: checkpointURL)
        try writeMetricsCSV()
    }

    private func slotsMetadata() -> [String: String] {
        var m = task.slots[0].model.configuration.metadata
        for slot in task.slots {
            m[String(slot.optimizerPrefix.dropLast()) + "_kind"] = slot.optimizer.kind
        }
        return m
    }

    /// Restores a checkpoint written by `saveCheckpoint` (and the metrics recorded up to it).
    public func resume(from path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Trainer.TrainingError(message: "\(path): checkpoint missing or unreadable")
        }
        let file = try SafeTensors.decode([UInt8](data), path: path)
        guard let s = file.metadata["checkpoint_step"].flatMap(Int.init), let state = file.metadata["rng_state"].flatMap({ UInt64($0, radix: 16) }) else {
            throw Trainer.TrainingError(message: "\(path): not a MedSR checkpoint (no step or generator state)")
        }
        let task = file.metadata["task"] ?? ModelTask.superResolution.rawValue
        guard task == self.task.task.rawValue else {
            throw Trainer.TrainingError(message: "\(path): a \(task) checkpoint cannot resume a \(self.task.task.rawValue) run")
        }
        try self.task.checkResume(file.metadata, path: path)
        for slot in self.task.slots {
            let kind = file.metadata[String(slot.optimizerPrefix.dropLast()) + "_kind"]
            if let kind, kind != slot.optimizer.kind {
                throw Trainer.TrainingError(message: "\(path): the checkpoint's optimiser is \(kind), this run's is \(slot.optimizer.kind)")
            }
            var inner = SafeTensors.File()
            for p in slot.model.parameters { inner.tensors[p.name] = file.tensors[slot.prefix + p.name] }
            try SafeTensors.load(slot.model.parameters, from: inner, path: path,
                                 what: "checkpoint of \(slot.model.configuration.description)")
            var optimizerState = [String: [Float]]()
            for (key, tensor) in file.tensors where key.hasPrefix(slot.optimizerPrefix) {
                optimizerState[String(key.dropFirst(slot.optimizerPrefix.count))] = tensor.values
            }
            slot.optimizer.restore(state: optimizerState, step: file.metadata[slot.stepKey].flatMap(Int.init) ?? 0)
        }
        rng = SplitMix64(state: state)
        step = s
        records = Self.readMetrics(run.appendingPathComponent("metrics.csv")).filter { $0.step <= s }
    }

    var csvColumns: [String] { ["step", "loss", "lr"] + task.columns + ["seconds"] }

    func writeMetricsCSV() throws {
        var lines = [csvColumns.joined(separator: ",")]
        for r in records {
            var fields = [String(r.step), String(format: "%.8f", r.loss), String(format: "%.8g", r.learningRate)]
            fields += task.columns.map { c in r.values[c].map { String(format: "%.6f", $0) } ?? "" }
            fields.append(String(format: "%.3f", r.seconds))
            lines.append(fields.joined(separator: ","))
        }
        try FileStore.writeAtomically(Array((lines.joined(separator: "\n") + "\n").utf8), to: run.appendingPathComponent("metrics.csv"))
    }

    /// Reads `metrics.csv` by its header (any task's columns).
    public static func readMetrics(_ url: URL) -> [TrainingRecord] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else { return [] }
        let index = Dictionary(header.enumerated().map { ($1, $0) }) { a, _ in a }
        return lines.dropFirst().compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func value(_ name: String) -> Double? { index[name].flatMap { $0 < f.count ? Double(f[$0]) : nil } }
            guard let step = value("step").map(Int.init), let loss = value("loss"), let lr = value("lr") else { return nil }
            var values = [String: Double]()
            for (name, i) in index where !["step", "loss", "lr", "seconds"].contains(name) && i < f.count {
                if let v = Double(f[i]) { values[name] = v }
            }
            return TrainingRecord(step: step, loss: loss, learningRate: lr, seconds: value("seconds") ?? 0, values: values)
        }
    }

    /// The model file, `metrics.csv` and `report.html`.
    func writeOutputs() throws {
        try FileStore.writeAtomically(try task.modelFile(metadata: metadata()), to: modelURL)
        try writeMetricsCSV()
        var page = HTMLReport(title: "MedSR training run: \(task.displayName)")
        page.addText(heading: nil, task.reportIntroduction + (stoppedEarly ? " Stopped early at step \(step) of \(settings.steps)." : ""))
        let steps = records.map { Double($0.step) }
        page.addFigure(heading: "Loss", svg: SVGPlot.lines(title: "training loss (log scale)", x: steps, series: [("train loss", records.map(\.loss))], logY: true),
                       caption: "The delivered model's total training loss per step.")
        page.addFigure(heading: nil, svg: SVGPlot.lines(title: "learning rate", x: steps, series: [("learning rate", records.map(\.learningRate))]),
                       caption: "The learning rate per step (\(settings.schedule) schedule from \(settings.learningRate)).")
        try task.addReport(to: &page, records: records)
        try page.write(to: run.appendingPathComponent("report.html"))
    }
}
