public import Foundation
import MedImage

extension Trainer {
    /// Checks the run folder before any work: a folder that already holds files is another
    /// run and is never replaced unless `resuming`; the folder is created and must be writable.
    /// - Throws: `TrainingError` for a run folder in use; `OutputError` naming the path and
    ///   the system's reason when it cannot be written.
    public static func prepareRunFolder(_ run: URL, resuming: Bool) throws {
        let existing = ((try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []).sorted()
        if !existing.isEmpty && !resuming {
            let model = existing.contains("model.safetensors") ? "a model and " : ""
            throw TrainingError(message: "\(run.path): the run folder already holds \(model)\(existing.count) file\(existing.count == 1 ? "" : "s"); "
                + "pass --resume \(run.appendingPathComponent("checkpoint.safetensors").path) to continue that run, or choose a new --out")
        }
        try OutputLocation.prepareFolder(run)
    }
}
