import Foundation
import MedNN
import Synchronization
import Zarr

/// The one place MedServe touches the model code: loads a run's `model.safetensors` as an
/// `EnhancementModel` (kept while its file is unchanged) and describes it. Inference itself goes through
/// `DatasetEvaluator` (tiles) or a `medsr upscale` child process (uploads).
final class ModelAdapter: Sendable {
    struct Loaded: Sendable {
        var model: EnhancementModel
        var modified: Date
    }

    private let cache = Mutex<[String: Loaded]>([:])
    /// Models kept in memory at once.
    static let capacity = 4

    /// The model of a run folder (or a `.safetensors` file).
    func model(at url: URL) throws -> EnhancementModel {
        let file = url.pathExtension == "safetensors" ? url : url.appendingPathComponent("model.safetensors")
        let modified = (try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date) ?? .distantPast
        if let hit = cache.withLock({ $0[file.path] }), hit.modified == modified { return hit.model }
        let model = try EnhancementModel(path: file.path)
        cache.withLock {
            if $0.count >= Self.capacity { $0.removeAll() }
            $0[file.path] = Loaded(model: model, modified: modified)
        }
        return model
    }

    /// What the UI shows of a model: architecture, scale, channels, value range.
    static func summary(_ model: EnhancementModel) -> JSONValue {
        .object([("architecture", .string(model.architecture)), ("scale", .int(model.scale)),
                 ("channels", .int(model.channels)), ("dataMax", .double(model.dataMax))])
    }
}
