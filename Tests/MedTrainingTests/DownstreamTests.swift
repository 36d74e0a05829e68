import Foundation
import MedDataset
import MedEvaluation
import MedImage
import MedMetrics
import MedNN
import MedTraining
import Testing
import TestSupport

/// The downstream check on one fixture per label kind: figshare (single-label, with an SR
/// model) and NIH (multi-label findings).
@Suite(.serialized) struct DownstreamTests {
    static func classifier(_ ds: Dataset, labels: ClassLabels.Kind, steps: Int) throws -> (ClassifierFile, URL) {
        var config = ClassifierTrainingConfig()
        config.labels = labels
        config.batch = 2
        config.threads = 1
        config.validationTiles = 4
        config.architecture = "cnn-small"
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-ds-\(UUID().uuidString)")
        let loop = TrainingLoop(task: try ClassificationTask(config: config, dataset: ds),
                                settings: LoopSettings(steps: steps, learningRate: 1e-3, schedule: LearningRateSchedule(.constant), seed: 5,
                                                       validateEvery: steps, checkpointEvery: steps), run: run)
        try loop.train()
        return (try ClassifierFile(path: run.path, threads: 1), run)
    }

    @Test func singleLabelWithAnEnhancementModel() throws {
        let (ds, root) = try TrainerTests.dataset()
        let (c, run) = try Self.classifier(ds, labels: .label, steps: 2)
        let srRun = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-ds-sr-\(UUID().uuidString)")
        defer { for u in [root, run, srRun] { try? FileManager.default.removeItem(at: u) } }
        let trainer = try Trainer(config: TrainerTests.config(steps: 2), dataset: ds, run: srRun)
        try trainer.train()
        let sr = try EnhancementModel(path: srRun.path)
        let r = try Downstream.run(classifier: c, dataset: ds, split: "val", scale: 4, models: [("espcn", sr)], resamples: 50)
        #expect(r.kinds.map(\.name) == ["HR", "bicubic", "sharpened bicubic", "espcn"])
        #expect(r.kinds[0].fromHR.value == 0 && r.kinds[0].changedFromHR == 0 && r.kinds[0].mcnemarVsHR == 1)
        // The HR row is the classifier on the HR tiles, as ClassifierFile computes it directly.
        let hr = try ds.array("val", "hr")
        let direct = c.probabilities(try (0 ..< r.tiles).map { try ds.tilePixels(hr, $0) })
        #expect(direct == r.kinds[0].probabilities)
        let (labels, _) = try ClassLabels.tileLabels(ds, split: "val")
        let auc = ClassificationMetrics.macroAUC(scores: direct, positives: labels.prefix(r.tiles).map(c.labels.targets))
        #expect(abs(auc - r.kinds[0].macroAUC) < 1e-12 || (auc.isNaN && r.kinds[0].macroAUC.isNaN))
        #expect(abs(r.kinds[3].fromBicubic.value - (r.kinds[3].macroAUC - r.kinds[1].macroAUC)) < 1e-12 || r.kinds[1].macroAUC.isNaN)
        #expect(r.sentences.count == 1 && r.sentences[0].contains("×4 SR (espcn) recovers"))
        #expect(r.csv.split(separator: "\n").count == 5)
        #expect(r.html(title: "t").contains(r.sentences[0].prefix(30)))

        // evaluate --task classify: the same probabilities as the downstream HR row; the
        // confusion matrix counts every tile; the report has one ROC curve per defined class.
        let e = try ClassifierEvaluation(classifier: c, dataset: ds, split: "val")
        #expect(e.probabilities == direct)
        let s = e.summary(resamples: 50)
        #expect((s["macro_auc"] as? Double).map { abs($0 - r.kinds[0].macroAUC) < 1e-12 } ?? false)
        let m = try #require(s["confusion_matrix"] as? [[Int]])
        #expect(m.flatMap { $0 }.reduce(0, +) == e.probabilities.count)
        let defined = (s["per_class"] as? [[String: Any]] ?? []).filter { ($0["auc"] as? Double)?.isFinite ?? false }.count
        #expect(e.html(summary: s, title: "t").components(separatedBy: "<svg").count - 1 == defined)
    }

    @Test func multiLabelFindings() throws {
        var recipe = try Recipe.load(FixturePath.root.deletingLastPathComponent().appendingPathComponent("Manifests/nih-chestxray14.json").path)
        recipe.tile = 256
        recipe.stride = 256
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-nih-\(UUID().uuidString)")
        _ = try DatasetBuilder.build(BuildOptions(recipe: recipe, input: FixturePath.url("png/nih"), output: out))
        let ds = try Dataset(root: out)
        let (c, run) = try Self.classifier(ds, labels: .findings, steps: 2)
        defer { for u in [out, run] { try? FileManager.default.removeItem(at: u) } }
        #expect(c.labels.isMultiLabel && c.labels.names.prefix(14) == ClassLabels.nihFindings[...])
        let r = try Downstream.run(classifier: c, dataset: ds, split: "test", scale: 4, models: [], limit: 24, resamples: 50)
        #expect(r.kinds.count == 3 && r.tiles == 24)
        // Sigmoids per finding, not a softmax: rows need not sum to 1.
        #expect(r.kinds[0].probabilities.allSatisfy { $0.count == c.labels.count && $0.allSatisfy { (0 ... 1).contains($0) } })
        #expect(r.kinds[0].accuracy.isNaN && r.kinds[0].mcnemarVsHR == nil)
        #expect(r.sentences.count == 1 && r.sentences[0].contains("low resolution"))
    }
}
