import Foundation
import MedDataset
import MedImage
import MedTraining
import Testing
import TestSupport

@Suite(.serialized) struct TrainerTests {
    static func dataset() throws -> (Dataset, URL) {
        var recipe = try Recipe.load(FixturePath.root.deletingLastPathComponent().appendingPathComponent("Manifests/figshare-brain-tumour.json").path)
        recipe.tile = 64
        recipe.stride = 64
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-train-\(UUID().uuidString)")
        _ = try DatasetBuilder.build(BuildOptions(recipe: recipe, input: FixturePath.url("mat/figshare"), output: out))
        return (try Dataset(root: out), out)
    }

    static func config(steps: Int) -> TrainingConfig {
        var c = TrainingConfig()
        c.steps = steps
        c.batch = 4
        c.patch = 8
        c.validateEvery = 2
        c.validationTiles = 2
        c.checkpointEvery = 3
        c.threads = 1
        return c
    }

    /// Stopping after 3 steps and resuming from the checkpoint gives the same model, byte for
    /// byte, as 6 steps in one go; the same seed gives the same model twice.
    @Test func resumeIsExactAndRunsAreDeterministic() throws {
        let (ds, root) = try Self.dataset()
        let runs = (0 ..< 3).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("medsr-run-\(UUID().uuidString)") }
        defer { for u in runs + [root] { try? FileManager.default.removeItem(at: u) } }
        let a = try Trainer(config: Self.config(steps: 6), dataset: ds, run: runs[0])
        try a.train()
        let b = try Trainer(config: Self.config(steps: 6), dataset: ds, run: runs[1])
        try b.train()
        let first = try Trainer(config: Self.config(steps: 6), dataset: ds, run: runs[2])
        try first.train(until: 3)
        let resumed = try Trainer(config: Self.config(steps: 6), dataset: ds, run: runs[2])
        try resumed.resume(from: runs[2].appendingPathComponent("checkpoint.safetensors").path)
        #expect(resumed.currentStep == 3)
        try resumed.train()
        // Digests, not the bytes: a failing comparison of 100 kB arrays makes the test framework
        // compute a diff for minutes.
        let modelA = SHA256.hex([UInt8](try Data(contentsOf: a.modelURL)))
        let modelB = SHA256.hex([UInt8](try Data(contentsOf: b.modelURL)))
        let modelC = SHA256.hex([UInt8](try Data(contentsOf: resumed.modelURL)))
        #expect(modelA == modelB, "same seed, same model")
        #expect(modelA == modelC, "resumed run equals the uninterrupted one")
        let metrics = try String(contentsOf: runs[2].appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 7)
        #expect(FileManager.default.fileExists(atPath: runs[0].appendingPathComponent("report.html").path))
    }

    @Test func refusesModelsNotInThisBuildAndScalesTheDatasetLacks() throws {
        let (ds, root) = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: root) }
        var c = Self.config(steps: 1)
        c.model = "srgan"
        #expect(throws: Trainer.TrainingError.self) { try Trainer(config: c, dataset: ds, run: root) }
        c.model = "espcn"
        c.scale = 3
        #expect(throws: Trainer.TrainingError.self) { try Trainer(config: c, dataset: ds, run: root) }
    }
}
