import Foundation
import MedDataset
import MedImage
import MedNN
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
        // Bit-for-bit comparisons: no other test may switch the kernel copies meanwhile.
        let (a, b, resumed) = try KernelCopies.steady {
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
            return (a, b, resumed)
        }
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

    /// GAN models (generator + discriminator, batch norm running statistics, two Adam states)
    /// also resume byte for byte, and a checkpoint of one model refuses to resume another.
    @Test(arguments: ["srgan", "swift-srgan"])
    func adversarialTrainingResumesExactly(model: String) throws {
        let (ds, root) = try Self.dataset()
        let runs = (0 ..< 2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("medsr-run-\(UUID().uuidString)") }
        defer { for u in runs + [root] { try? FileManager.default.removeItem(at: u) } }
        var c = Self.config(steps: 4)
        c.model = model
        c.patch = 4
        c.batch = 2
        c.checkpointEvery = 2
        c.tvWeight = 1e-4
        c.validateEvery = 4
        c.validationTiles = 1
        // Bit-for-bit comparisons: no other test may switch the kernel copies meanwhile.
        let (whole, resumed) = try KernelCopies.steady {
            let whole = try Trainer(config: c, dataset: ds, run: runs[0])
            try whole.train()
            let first = try Trainer(config: c, dataset: ds, run: runs[1])
            try first.train(until: 2)
            let resumed = try Trainer(config: c, dataset: ds, run: runs[1])
            try resumed.resume(from: runs[1].appendingPathComponent("checkpoint.safetensors").path)
            try resumed.train()
            return (whole, resumed)
        }
        #expect(SHA256.hex([UInt8](try Data(contentsOf: whole.modelURL))) == SHA256.hex([UInt8](try Data(contentsOf: resumed.modelURL))))
        #expect(SHA256.hex([UInt8](try Data(contentsOf: whole.checkpointURL))) == SHA256.hex([UInt8](try Data(contentsOf: resumed.checkpointURL))))
        let metrics = try String(contentsOf: runs[0].appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        let column = try #require(metrics.first?.split(separator: ",").firstIndex(of: "d_loss"))
        #expect(metrics.count == 5 && metrics.dropFirst().allSatisfy { !$0.split(separator: ",", omittingEmptySubsequences: false)[column].isEmpty },
                "every step records the discriminator's loss")
        var other = c
        other.model = "espcn"
        let espcn = try Trainer(config: other, dataset: ds, run: runs[1])
        #expect(throws: Trainer.TrainingError.self) { try espcn.resume(from: runs[0].appendingPathComponent("checkpoint.safetensors").path) }
    }

    @Test func refusesUnknownModelsAndScalesTheDatasetLacks() throws {
        let (ds, root) = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: root) }
        var c = Self.config(steps: 1)
        c.model = "edsr"
        #expect(throws: Trainer.TrainingError.self) { try Trainer(config: c, dataset: ds, run: root) }
        c.model = "espcn"
        c.scale = 3
        #expect(throws: Trainer.TrainingError.self) { try Trainer(config: c, dataset: ds, run: root) }
    }

    /// The cause of "worse than bicubic for hundreds of steps": a plain ESPCN must first learn
    /// interpolation itself. Learning the difference to bicubic starts at bicubic's quality.
    @Test func aResidualModelStartsAtBicubicAndAPlainOneIsWarnedAbout() throws {
        let (ds, root) = try Self.dataset()
        let runs = (0 ..< 2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("medsr-run-\(UUID().uuidString)") }
        defer { for u in runs + [root] { try? FileManager.default.removeItem(at: u) } }
        var c = Self.config(steps: 2)
        c.validationTiles = 4
        let residual = try Trainer(config: c, dataset: ds, run: runs[0])
        #expect(residual.isResidual, "ESPCN is residual by default")
        try residual.train()
        c.residual = false
        let plain = try Trainer(config: c, dataset: ds, run: runs[1])
        try plain.train()
        let b = try #require(residual.baseline)
        let r = try #require(residual.records.last?.valPSNR), p = try #require(plain.records.last?.valPSNR)
        #expect(abs(r - b.psnr) < 0.5, "residual \(r) dB, bicubic \(b.psnr) dB")
        #expect(p < b.psnr - 3, "plain \(p) dB")
        let line = try #require(residual.validationLine(residual.records.last!))
        #expect(line.contains("bicubic") && line.contains(String(format: "%.2f dB", b.psnr)))
        #expect(plain.behindBaselineWarning?.contains("behind bicubic") == true)
        // The saved model says it is residual; loaded, it upscales as the trainer validated.
        let model = try EnhancementModel(path: residual.modelURL.path)
        #expect(model.metadata["residual"] == "bicubic")
        let report = try String(contentsOf: runs[0].appendingPathComponent("report.html"), encoding: .utf8)
        #expect(report.contains("learning rate") && report.contains("Samples:"))
        // A residual checkpoint does not resume a plain run.
        #expect(throws: Trainer.TrainingError.self) { try plain.resume(from: residual.checkpointURL.path) }
    }

    /// Restoration runs on the same loop: DnCNN with SGD + Nesterov and warm-up, and pix2pix
    /// (a U-Net against a conditional PatchGAN) resume byte for byte; the model file records
    /// the degradation, and a checkpoint of another degradation is refused.
    @Test(arguments: ["dncnn", "pix2pix"])
    func restorationResumesExactly(model: String) throws {
        let (ds, root) = try Self.dataset()
        let runs = (0 ..< 3).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("medsr-run-\(UUID().uuidString)") }
        defer { for u in runs + [root] { try? FileManager.default.removeItem(at: u) } }
        var c = Self.config(steps: 4)
        c.model = model
        c.scale = 1
        c.degradation = model == "dncnn" ? "noise:gaussian:15" : "blur:gaussian:1.5+noise:poisson:200"
        c.patch = model == "dncnn" ? 16 : 32
        c.batch = 2
        c.checkpointEvery = 2
        c.validateEvery = 2
        c.validationTiles = 1
        c.width = 4
        c.depth = model == "dncnn" ? 4 : 2
        if model == "dncnn" {
            c.optimizer = .sgd
            c.nesterov = true
            c.learningRate = 1e-2
            c.schedule = LearningRateSchedule(.cosine, warmup: 2)
        }
        let (whole, resumed) = try KernelCopies.steady {
            let whole = try Trainer(config: c, dataset: ds, run: runs[0])
            try whole.train()
            let first = try Trainer(config: c, dataset: ds, run: runs[1])
            try first.train(until: 2)
            let resumed = try Trainer(config: c, dataset: ds, run: runs[1])
            try resumed.resume(from: runs[1].appendingPathComponent("checkpoint.safetensors").path)
            try resumed.train()
            return (whole, resumed)
        }
        #expect(SHA256.hex([UInt8](try Data(contentsOf: whole.modelURL))) == SHA256.hex([UInt8](try Data(contentsOf: resumed.modelURL))))
        // Steps after the checkpoint (earlier ones come back from metrics.csv, rounded).
        #expect(whole.records.suffix(2).map(\.loss) == resumed.records.suffix(2).map(\.loss))
        if model == "dncnn" { #expect(whole.records[0].learningRate == 5e-3, "the first of two warm-up steps runs at half the rate") }
        let file = try SafeTensors.decode([UInt8](try Data(contentsOf: whole.modelURL)), path: "model")
        #expect(file.metadata["degradation"] == c.degradation && file.metadata["task"] == "restore")
        let loaded = try EnhancementModel(path: whole.modelURL.path)
        #expect(loaded.task == .restoration && loaded.scale == 1)
        #expect(whole.baselineName == "degraded" && whole.baseline != nil)
        var other = c
        other.degradation = "noise:gaussian:25"
        let mismatched = try Trainer(config: other, dataset: ds, run: runs[2])
        #expect(throws: Trainer.TrainingError.self) { try mismatched.resume(from: whole.checkpointURL.path) }
    }
}
