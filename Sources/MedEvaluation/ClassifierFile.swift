public import Foundation
public import MedDataset
public import MedImage
public import MedNN
import MedMetrics

/// A classifier written by `medsr train --task classify`: the network, its classes (the mapping
/// recorded in the model file), the value its inputs were divided by, and its input side.
public final class ClassifierFile: @unchecked Sendable {
    // Inference runs the network's layers, which keep per-call caches: one thread at a time.
    public let network: any Model<Float>
    public let labels: ClassLabels
    public let dataMax: Double
    public let side: Int
    /// "hr" or "lr_xN": the tiles it was trained on.
    public let input: String

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var path: String, message: String
        public var description: String { "\(path): classifier: \(message)" }
    }

    /// Loads a model file (or a run folder's `model.safetensors`); a checkpoint works too.
    public init(path: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        let (file, url) = try ModelFile.read(path)
        guard file.metadata["task"] == ModelTask.classification.rawValue, let labels = ClassLabels(metadata: file.metadata),
              let configuration = ModelConfiguration(metadata: file.metadata) else {
            throw LoadError(path: url.path, message: "not a classifier written by medsr train --task classify (no task or labels metadata)")
        }
        var rng = SplitMix64(seed: 0)
        network = try ModelRegistry.make(configuration, rng: &rng)
        try network.load(file, path: url.path)
        network.setThreads(threads)
        network.setTraining(false)
        self.labels = labels
        dataMax = file.metadata["data_max"].flatMap(Double.init) ?? 255
        side = file.metadata["tile"].flatMap(Int.init) ?? 64
        input = file.metadata["input"] ?? "hr"
    }

    /// Class probabilities of images (first frame each), resized (bicubic) to the input side,
    /// divided by the data maximum and clipped to [0, 1]; colour becomes grey (luma) for a grey
    /// model.
    public func probabilities(_ images: [PixelArray]) -> [[Double]] {
        let channels = network.configuration.channels, n = side * side
        return Classifier.probabilities(network, multiLabel: labels.isMultiLabel, count: images.count, channels: channels, side: side) { i in
            var pixels = images[i]
            if pixels.rows != side || pixels.columns != side { pixels = Resample.bicubic(pixels, columns: side, rows: side) }
            let values = pixels.samples.floats(), spp = pixels.samplesPerPixel
            var planes = [Float](repeating: 0, count: channels * n)
            for p in 0 ..< n {
                for c in 0 ..< channels {
                    let v = channels == 1 && spp >= 3
                        ? 0.299 * values[p * spp] + 0.587 * values[p * spp + 1] + 0.114 * values[p * spp + 2]
                        : values[p * spp + min(c, spp - 1)]
                    planes[c * n + p] = min(1, max(0, v / Float(dataMax)))
                }
            }
            return planes
        }
    }
}
