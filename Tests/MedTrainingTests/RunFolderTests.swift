import Foundation
import MedTraining
import Testing

/// `train --out RUN` never replaces another run's files unless it resumes it.
@Suite struct RunFolderTests {
    @Test func aRunFolderInUseIsRefusedUnlessResuming() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        try Trainer.prepareRunFolder(run, resuming: false)  // new: created
        try Trainer.prepareRunFolder(run, resuming: false)  // empty: fine
        let model = run.appendingPathComponent("model.safetensors")
        try Data("weights".utf8).write(to: model)
        let error = #expect(throws: Trainer.TrainingError.self) { try Trainer.prepareRunFolder(run, resuming: false) }
        #expect(error?.description.contains("already holds a model and 1 file") == true)
        #expect(error?.description.contains("--resume") == true)
        #expect(try Data(contentsOf: model) == Data("weights".utf8))
        try Trainer.prepareRunFolder(run, resuming: true)
    }
}
