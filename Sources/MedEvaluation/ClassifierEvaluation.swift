public import Foundation
public import MedDataset
public import MedMetrics
import MedImage
import MedReport
import Zarr

/// `medsr evaluate --task classify`: a classifier's metrics on one split of a dataset.
public struct ClassifierEvaluation: Sendable {
    public var labels: ClassLabels
    public var probabilities: [[Double]]
    public var truth: [[Bool]]
    public var patients: [String]
    public var split: String

    /// Runs `classifier` on the tiles of `split` it was trained on (HR, or the LR array it names).
    public init(classifier: ClassifierFile, dataset: Dataset, split: String, limit: Int? = nil) throws {
        let reader = try dataset.array(split, classifier.input)
        let (text, patients) = try ClassLabels.tileLabels(dataset, split: split)
        let count = min(limit ?? reader.count, reader.count, text.count)
        var p = [[Double]]()
        var start = 0
        while start < count {
            let n = min(64, count - start)
            p += classifier.probabilities(try (start ..< start + n).map { try dataset.tilePixels(reader, $0) })
            start += n
        }
        labels = classifier.labels
        probabilities = p
        truth = text.prefix(count).map(classifier.labels.targets)
        self.patients = Array(patients.prefix(count))
        self.split = split
    }

    var predicted: [Int] { probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 } }
    var truthIndex: [Int] { truth.map { $0.firstIndex(of: true) ?? -1 } }

    /// Summary lines and a table row per class: AUC, average precision, sensitivity at 90%
    /// specificity; accuracy, balanced accuracy, ECE and the confusion matrix for single-label.
    public func summary(resamples: Int = 2000) -> [String: Any] {
        let idx = Array(probabilities.indices)
        func macro(_ i: [Int]) -> Double? {
            let v = ClassificationMetrics.macroAUC(scores: i.map { probabilities[$0] }, positives: i.map { truth[$0] })
            return v.isFinite ? v : nil
        }
        let ci = PatientBootstrap.interval(patients: patients, resamples: resamples, statistic: macro)
        var s: [String: Any] = ["split": split, "tiles": probabilities.count, "patients": Set(patients).count,
                                "macro_auc": macro(idx) ?? Double.nan, "macro_auc_ci": [ci.low, ci.high],
                                "macro_average_precision": ClassificationMetrics.macroAveragePrecision(scores: probabilities, positives: truth)]
        var perClass = [[String: Any]]()
        for (k, name) in labels.names.enumerated() {
            let scores = probabilities.map { $0[k] }, pos = truth.map { $0[k] }
            perClass.append(["class": name, "positives": pos.filter { $0 }.count,
                             "auc": ClassificationMetrics.rocAUC(scores: scores, labels: pos) ?? Double.nan,
                             "average_precision": ClassificationMetrics.averagePrecision(scores: scores, labels: pos) ?? Double.nan,
                             "sensitivity_at_specificity_0.9": ClassificationMetrics.sensitivity(atSpecificity: 0.9, scores: scores, labels: pos) ?? Double.nan])
        }
        s["per_class"] = perClass
        if !labels.isMultiLabel {
            let pred = predicted, t = truthIndex
            s["accuracy"] = ClassificationMetrics.accuracy(predicted: pred, truth: t)
            let accCI = PatientBootstrap.interval(patients: patients, resamples: resamples) { i in
                ClassificationMetrics.accuracy(predicted: i.map { pred[$0] }, truth: i.map { t[$0] })
            }
            s["accuracy_ci"] = [accCI.low, accCI.high]
            s["balanced_accuracy"] = ClassificationMetrics.balancedAccuracy(predicted: pred, truth: t, classes: labels.count)
            s["confusion_matrix"] = ClassificationMetrics.confusionMatrix(predicted: pred, truth: t, classes: labels.count)
            s["expected_calibration_error"] = ClassificationMetrics.expectedCalibrationError(
                confidence: probabilities.map { $0.max() ?? 0 }, correct: zip(pred, t).map { $0 == $1 })
        }
        return s
    }

    /// The report: summary, per-class table, ROC curves, confusion matrix.
    public func html(summary s: [String: Any], title: String) -> String {
        var page = HTMLReport(title: title)
        let ci = s["macro_auc_ci"] as? [Double] ?? [.nan, .nan]
        var text = String(format: "%d tiles of %d patients (split %@). Macro ROC AUC %.4f (95%% CI %.4f–%.4f, bootstrapped by patient)",
                          probabilities.count, Set(patients).count, split, s["macro_auc"] as? Double ?? .nan, ci[0], ci[1])
        if let a = s["accuracy"] as? Double, let b = s["balanced_accuracy"] as? Double, let e = s["expected_calibration_error"] as? Double {
            text += String(format: "; accuracy %.4f, balanced accuracy %.4f, expected calibration error %.4f", a, b, e)
        }
        page.addText(heading: nil, text + ".")
        let rows = (s["per_class"] as? [[String: Any]] ?? []).map { c -> [String] in
            [c["class"] as? String ?? "", String(c["positives"] as? Int ?? 0)]
                + ["auc", "average_precision", "sensitivity_at_specificity_0.9"].map { String(format: "%.4f", c[$0] as? Double ?? .nan) }
        }
        page.addTable(heading: "Per class (one-vs-rest)", header: ["class", "positives", "ROC AUC", "average precision", "sensitivity at 90% specificity"], rows: rows)
        for (k, name) in labels.names.enumerated() {
            let roc = ClassificationMetrics.rocCurve(scores: probabilities.map { $0[k] }, labels: truth.map { $0[k] })
            guard roc.count > 1 else { continue }
            page.addFigure(heading: nil, svg: SVGPlot.lines(title: "ROC: \(name)", x: roc.map(\.fpr), series: [("true-positive rate", roc.map(\.tpr)),
                                                                                                              ("chance", roc.map(\.fpr))]),
                           caption: "ROC curve of \(name) against the rest (x: false-positive rate).")
        }
        if let m = s["confusion_matrix"] as? [[Int]] {
            page.addTable(heading: "Confusion matrix (rows: true class, columns: predicted)", header: [""] + labels.names,
                          rows: zip(labels.names, m).map { [$0] + $1.map(String.init) })
        }
        return page.html()
    }
}
