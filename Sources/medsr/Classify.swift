import ArgumentParser
import Foundation
import MedDataset
import MedEvaluation
import MedImage
import MedIO
import MedNN

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
        let c = try withCleanError { try ClassifierFile(path: model, threads: threads ?? processorCount) }
        var rows = ["file," + c.labels.names.joined(separator: ",")]
        for input in inputs {
            let image = try withCleanError { try ImageFiles.read(URL(fileURLWithPath: input)) }
            var pixels = image.pixels
            if pixels.frames > 1 {
                pixels = PixelArray(rows: pixels.rows, columns: pixels.columns, samplesPerPixel: pixels.samplesPerPixel,
                                    samples: .float32(Array(pixels.samples.floats().prefix(pixels.samplesPerFrame))))
            }
            let p = c.probabilities([pixels])[0]
            let best = p.indices.max { p[$0] < p[$1] } ?? 0
            print("\(input): " + zip(c.labels.names, p).map { String(format: "%@ %.4f", $0, $1) }.joined(separator: ", ")
                + (c.labels.isMultiLabel ? "" : " → \(c.labels.names[best])"))
            rows.append("\(input)," + p.map { String(format: "%.6f", $0) }.joined(separator: ","))
        }
        if let csv { try withCleanError { try (rows.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8) } }
    }
}
