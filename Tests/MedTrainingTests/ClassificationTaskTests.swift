import Foundation
import MedDataset
import MedImage
import MedNN
import MedTraining
import Testing
import TestSupport

@Suite(.serialized) struct ClassificationTaskTests {
    /// A classifier run on the figshare fixture's tiles (labels from tiles.csv) resumes byte for
    /// byte, validates a macro AUC, and its model file records the class mapping.
    @Test func resumeIsExactAndTheModelRecordsItsClasses() throws {
        let (ds, root) = try TrainerTests.dataset()
        let runs = (0 ..< 2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("medsr-cls-\(UUID().uuidString)") }
        defer { for u in runs + [root] { try? FileManager.default.removeItem(at: u) } }
        var config = ClassifierTrainingConfig()
        config.batch = 4
        config.threads = 1
        config.balancedWeights = true
        let settings = LoopSettings(steps: 4, learningRate: 1e-3, schedule: LearningRateSchedule(.cosine, warmup: 1), seed: 3,
                                    validateEvery: 2, checkpointEvery: 2)
        let (a, resumed) = try KernelCopies.steady {
            let a = TrainingLoop(task: try ClassificationTask(config: config, dataset: ds), settings: settings, run: runs[0])
            try a.train()
            let first = TrainingLoop(task: try ClassificationTask(config: config, dataset: ds), settings: settings, run: runs[1])
            try first.train(until: 2)
            let resumed = TrainingLoop(task: try ClassificationTask(config: config, dataset: ds), settings: settings, run: runs[1])
            try resumed.resume(from: resumed.checkpointURL.path)
            try resumed.train()
            return (a, resumed)
        }
        let bytesA = [UInt8](try Data(contentsOf: a.modelURL)), bytesB = [UInt8](try Data(contentsOf: resumed.modelURL))
        #expect(SHA256.hex(bytesA) == SHA256.hex(bytesB), "resumed run equals the uninterrupted one")
        let file = try SafeTensors.decode(bytesA, path: "model")
        let labels = try #require(ClassLabels(metadata: file.metadata))
        #expect(labels == (try ClassLabels(dataset: ds, kind: .label)))
        #expect(file.metadata["architecture"] == "cnn-small" && file.metadata["task"] == "classify")
        #expect(a.records.contains { $0.values["val_auc"] != nil || $0.values["val_accuracy"] != nil })
    }

    @Test func findingsAreMultiLabelAndNoFindingIsAllZero() {
        let l = ClassLabels(kind: .findings, names: ClassLabels.nihFindings)
        #expect(l.targets("No Finding").allSatisfy { !$0 })
        let t = l.targets("Effusion|Mass")
        #expect(t.filter { $0 }.count == 2 && t[2] && t[4])
        let single = ClassLabels(kind: .label, names: ["glioma", "meningioma", "pituitary"])
        #expect(single.targets("meningioma") == [false, true, false] && single.index("pituitary") == 2)
        #expect(ClassLabels(metadata: single.metadata) == single)
    }
}
