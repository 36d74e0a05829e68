import ArgumentParser
import Foundation
import Zarr
import MedDataset
import MedEvaluation
import MedImage
import MedMetrics
import MedNN

/// `medsr downstream`: the classifier's accuracy on HR, bicubic, sharpened bicubic and SR inputs.
struct DownstreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "downstream",
        abstract: "Does super-resolution give back the diagnostic accuracy low resolution took away? A classifier on HR, bicubic, sharpened bicubic and SR inputs.",
        discussion: """
        For every tile of --split (at most --limit), the classifier (medsr train --task classify, \
        trained on HR tiles) sees the HR tile, bicubic from the lr_x<scale> tile, unsharp-masked \
        bicubic, and each --model's output (an SR run, or a restoration run applied to bicubic), \
        all at its input size. Per input kind: accuracy, balanced accuracy, macro ROC AUC with a \
        95% interval bootstrapped by patient, its change from HR and from bicubic (intervals by \
        patient), DeLong's test against HR per class (class 1 only for two classes), McNemar's \
        exact test against HR on correctness, and the share of tiles whose predicted class \
        changes. The report leads with one sentence per model: how many of the AUC points lost \
        to low resolution it recovers.
        """
    )

    @Option(help: "The classifier: a run folder or model.safetensors from medsr train --task classify.") var classifier: String
    @Option(help: "Dataset folder built by medsr build.") var dataset: String
    @Option(help: "train, val or test.") var split = "test"
    @Option(parsing: .unconditional, help: "The LR scale (the dataset's lr_x<scale> array).") var scale = 4
    @Option(help: "An SR or restoration model (run folder or .safetensors); repeat for several.") var model: [String] = []
    @Option(parsing: .unconditional, help: "At most this many tiles (the first ones).") var limit: Int?
    @Option(parsing: .unconditional, help: "Bootstrap resamples.") var resamples = 2000
    @Option(help: "Write one row per input kind here.") var csv: String?
    @Option(help: "Write the summary here (JSON).") var json: String?
    @Option(help: "Write an HTML report here.") var report: String?

    func run() throws {
        // Before any work: a read-only or full output disk fails now, in one line.
        try prepareOutputs([csv, json, report])
        let ds = try withCleanError { try Dataset(root: URL(fileURLWithPath: dataset)) }
        let tiles = (try? ds.array(split, "hr").count) ?? 0
        guard tiles > 0 else {
            FileHandle.standardError.write(Data("medsr: \(dataset): the \(split) split has no tiles; choose another --split (medsr inspect \(dataset) shows the counts)\n".utf8))
            throw ExitCode(1)
        }
        let c = try withCleanError { try ClassifierFile(path: classifier) }
        let models = try model.map { path in (URL(fileURLWithPath: path).lastPathComponent, try withCleanError { try EnhancementModel(path: path) }) }
        let r = try withCleanError {
            try Downstream.run(classifier: c, dataset: ds, split: split, scale: scale, models: models, limit: limit, resamples: resamples)
        }
        for s in r.sentences { print(s) }
        print("input                 accuracy  bal.acc  macro AUC (95% CI)        Δ vs HR   Δ vs bicubic  changed")
        for k in r.kinds {
            print(String(format: "%@ %8.4f %8.4f  %.4f (%.4f–%.4f)  %+8.4f  %+8.4f  %6.1f%%", k.name.padding(toLength: 20, withPad: " ", startingAt: 0),
                         k.accuracy, k.balancedAccuracy, k.macroAUC, k.aucInterval.low, k.aucInterval.high, k.fromHR.value, k.fromBicubic.value,
                         100 * k.changedFromHR))
        }
        if let csv { try withCleanError { try r.csv.write(toFile: csv, atomically: true, encoding: .utf8) } }
        if let json {
            let data = try JSONSerialization.data(withJSONObject: r.json, options: [.prettyPrinted, .sortedKeys])
            try withCleanError { try data.write(to: URL(fileURLWithPath: json)) }
        }
        if let report { try withCleanError { try r.html(title: "MedSR downstream check").write(toFile: report, atomically: true, encoding: .utf8) } }
    }
}
