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
        // Before any work: a read-only or full output disk fails now, in one line.
        try prepareOutputs([csv])
        let c = try withCleanError { try ClassifierFile(path: model, threads: threads ?? processorCount) }
        var rows = ["file," + c.labels.names.joined(separator: ",")]
        var failed = 0
        for input in inputs {
            // One unreadable file is reported and skipped; the exit status says some failed.
            let image: MedicalImage
            do { image = try ImageFiles.read(URL(fileURLWithPath: input)) } catch {
                report("medsr: \(oneLine(error))")
                failed += 1
                continue
            }
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
        if failed == inputs.count { throw ExitCode(1) }
        if failed > 0 { throw ExitCode(3) }
    }
}

extension Evaluate {
    /// `evaluate --task classify --model RUN --dataset DS --split S`.
    func runClassify() throws {
        guard let model = options.model, let dataset = options.dataset else {
            throw ValidationError("--task classify needs --model (a classifier run) and --dataset")
        }
        try prepareOutputs([csv, json, reportPath])
        let ds = try withCleanError { try Dataset(root: URL(fileURLWithPath: dataset)) }
        let c = try withCleanError { try ClassifierFile(path: model) }
        let e = try withCleanError { try ClassifierEvaluation(classifier: c, dataset: ds, split: options.split, limit: options.limit) }
        let s = e.summary()
        let ci = s["macro_auc_ci"] as? [Double] ?? [.nan, .nan]
        print(String(format: "%d tiles, %d patients: macro ROC AUC %.4f (95%% CI %.4f–%.4f, by patient)", e.probabilities.count,
                     s["patients"] as? Int ?? 0, s["macro_auc"] as? Double ?? .nan, ci[0], ci[1]))
        if let a = s["accuracy"] as? Double, let b = s["balanced_accuracy"] as? Double {
            print(String(format: "accuracy %.4f, balanced accuracy %.4f, expected calibration error %.4f", a, b, s["expected_calibration_error"] as? Double ?? .nan))
        }
        for c in s["per_class"] as? [[String: Any]] ?? [] {
            print(String(format: "  %@  AUC %.4f  AP %.4f  sensitivity at 90%% specificity %.4f", (c["class"] as? String ?? "").padding(toLength: 20, withPad: " ", startingAt: 0),
                         c["auc"] as? Double ?? .nan, c["average_precision"] as? Double ?? .nan, c["sensitivity_at_specificity_0.9"] as? Double ?? .nan))
        }
        if let json {
            let clean = try JSONSerialization.data(withJSONObject: Self.finite(s), options: [.prettyPrinted, .sortedKeys])
            try withCleanError { try clean.write(to: URL(fileURLWithPath: json)) }
        }
        if let csv {
            var rows = ["index,patient," + e.labels.names.map { "p_" + $0 }.joined(separator: ",") + "," + e.labels.names.map { "y_" + $0 }.joined(separator: ",")]
            for (i, p) in e.probabilities.enumerated() {
                rows.append("\(i),\(e.patients[i])," + p.map { String(format: "%.6f", $0) }.joined(separator: ",") + "," + e.truth[i].map { $0 ? "1" : "0" }.joined(separator: ","))
            }
            try withCleanError { try (rows.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8) }
        }
        if let reportPath { try withCleanError { try e.html(summary: s, title: "MedSR classifier evaluation").write(toFile: reportPath, atomically: true, encoding: .utf8) } }
    }

    /// JSON has no NaN: undefined values become null.
    static func finite(_ v: Any) -> Any {
        if let d = v as? Double { return d.isFinite ? d : NSNull() }
        if let a = v as? [Any] { return a.map(finite) }
        if let m = v as? [String: Any] { return m.mapValues(finite) }
        return v
    }
}
