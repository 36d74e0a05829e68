import ArgumentParser
import Foundation
import MedDataset
import MedImage
import MedIO
import MedNN
import MedTraining

/// `medsr classify`: class probabilities of images from a trained classifier.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Class probabilities of images (any format MedSR reads) from a classifier trained by medsr train --task classify.",
        discussion: """
        Each image (first frame) is resized (bicubic) to the model's tile side, divided by the \
        model's data maximum (255 for 8-bit datasets, 65535 for 16-bit) and clipped to [0, 1]; \
        colour images become grey (luma) for a grey model. Inputs should therefore carry the \
        intensities of the dataset's tiles (e.g. tiles written by medsr export); raw DICOM values \
        are not windowed here. Prints one line per image with the probability of each class \
        (softmax, or a sigmoid per finding for multi-label models); --csv writes file,class… rows.
        """
    )

    @Option(help: "The run folder or model.safetensors written by medsr train --task classify.") var model: String
    @Argument(help: "Images to classify.") var inputs: [String]
    @Option(help: "Write the probabilities as CSV here.") var csv: String?
    @Option(parsing: .unconditional, help: "Threads (default: cores).") var threads: Int?

    func run() throws {
        let (network, labels, dataMax, side) = try withCleanError { try Self.load(model) }
        network.setThreads(threads ?? processorCount)
        network.setTraining(false)
        let channels = network.configuration.channels
        var rows = ["file," + labels.names.joined(separator: ",")]
        for input in inputs {
            let image = try withCleanError { try ImageFiles.read(URL(fileURLWithPath: input)) }
            var pixels = image.pixels
            if pixels.frames > 1 { pixels = PixelArray(rows: pixels.rows, columns: pixels.columns, samplesPerPixel: pixels.samplesPerPixel,
                                                      samples: .float32(Array(pixels.samples.floats().prefix(pixels.samplesPerFrame)))) }
            let resized = Resample.bicubic(pixels, columns: side, rows: side)
            let values = resized.samples.floats(), spp = resized.samplesPerPixel, n = side * side
            var planes = [Float](repeating: 0, count: channels * n)
            for i in 0 ..< n {
                for c in 0 ..< channels {
                    let v: Float
                    if channels == 1 && spp >= 3 {
                        v = 0.299 * values[i * spp] + 0.587 * values[i * spp + 1] + 0.114 * values[i * spp + 2]
                    } else {
                        v = values[i * spp + min(c, spp - 1)]
                    }
                    planes[c * n + i] = min(1, max(0, v / Float(dataMax)))
                }
            }
            let p = Classifier.probabilities(network, multiLabel: labels.isMultiLabel, count: 1, channels: channels, side: side) { _ in planes }[0]
            let best = p.indices.max { p[$0] < p[$1] } ?? 0
            print("\(input): " + zip(labels.names, p).map { String(format: "%@ %.4f", $0, $1) }.joined(separator: ", ")
                + (labels.isMultiLabel ? "" : " → \(labels.names[best])"))
            rows.append("\(input)," + p.map { String(format: "%.6f", $0) }.joined(separator: ","))
        }
        if let csv { try withCleanError { try (rows.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8) } }
    }

    /// The network, its classes, its data maximum and input side from a classifier model file.
    static func load(_ path: String) throws -> (any Model<Float>, ClassLabels, Double, Int) {
        let (file, url) = try ModelFile.read(path)
        guard file.metadata["task"] == ModelTask.classification.rawValue, let labels = ClassLabels(metadata: file.metadata),
              let configuration = ModelConfiguration(metadata: file.metadata) else {
            throw ValidationError("\(url.path): not a classifier written by medsr train --task classify (no task or labels metadata)")
        }
        var rng = SplitMix64(seed: 0)
        let network: any Model<Float> = try ModelRegistry.make(configuration, rng: &rng)
        try network.load(file, path: url.path)
        return (network, labels, file.metadata["data_max"].flatMap(Double.init) ?? 255, file.metadata["tile"].flatMap(Int.init) ?? 64)
    }
}
