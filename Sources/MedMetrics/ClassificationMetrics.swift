import Foundation

/// Classification metrics as scikit-learn defines them (the tests compare with values from
/// Tools/reference/classify_metrics.py). Scores are any real numbers, higher meaning "more
/// positive"; labels are class indices 0..<K (single-label) or 0/1 per class (multi-label).
public enum ClassificationMetrics {
    /// Share of cases whose predicted class is the true one (`accuracy_score`); NaN when empty.
    public static func accuracy(predicted: [Int], truth: [Int]) -> Double {
        precondition(predicted.count == truth.count)
        guard !truth.isEmpty else { return .nan }
        return Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// Rows are true classes, columns predicted ones (`confusion_matrix(labels=0..<K)`).
    public static func confusionMatrix(predicted: [Int], truth: [Int], classes: Int) -> [[Int]] {
        precondition(predicted.count == truth.count)
        var m = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (p, t) in zip(predicted, truth) where (0 ..< classes).contains(p) && (0 ..< classes).contains(t) { m[t][p] += 1 }
        return m
    }

    /// Mean recall over the classes present in `truth` (`balanced_accuracy_score`, which leaves
    /// out classes that never occur); NaN when empty.
    public static func balancedAccuracy(predicted: [Int], truth: [Int], classes: Int) -> Double {
        let m = confusionMatrix(predicted: predicted, truth: truth, classes: classes)
        let recalls = m.enumerated().compactMap { c, row -> Double? in
            let n = row.reduce(0, +)
            return n > 0 ? Double(row[c]) / Double(n) : nil
        }
        return recalls.isEmpty ? .nan : recalls.reduce(0, +) / Double(recalls.count)
    }

    /// Area under the ROC curve (`roc_auc_score` for one binary column): the Mann–Whitney
    /// statistic with tied scores counted one half, which equals the trapezoidal area under
    /// scikit-learn's curve exactly. nil when either class is absent (scikit-learn raises).
    public static func rocAUC(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count)
        let positives = labels.filter { $0 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let ranks = midranks(scores)
        var sum = 0.0
        for (i, l) in labels.enumerated() where l { sum += ranks[i] }
        let p = Double(positives)
        return (sum - p * (p + 1) / 2) / (p * Double(negatives))
    }

    /// Ranks 1…n of `values` ascending, tied values sharing their mean rank.
    static func midranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i ... j { ranks[order[k]] = r }
            i = j + 1
        }
        return ranks
    }

    /// One point of a ROC or precision–recall curve: at scores ≥ `threshold`, the counts of
    /// true and false positives.
    public struct CurvePoint: Sendable, Equatable {
        public var threshold: Double
        public var truePositives: Int, falsePositives: Int
    }

    /// The points at each distinct score, highest first (what `roc_curve` and
    /// `precision_recall_curve` step through, before dropping collinear points).
    public static func curve(scores: [Double], labels: [Bool]) -> [CurvePoint] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var points = [CurvePoint]()
        var tp = 0, fp = 0, i = 0
        while i < order.count {
            let t = scores[order[i]]
            while i < order.count && scores[order[i]] == t {
                if labels[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            points.append(CurvePoint(threshold: t, truePositives: tp, falsePositives: fp))
        }
        return points
    }

    /// The ROC curve as (false-positive rate, true-positive rate), from (0, 0) to (1, 1);
    /// empty when either class is absent.
    public static func rocCurve(scores: [Double], labels: [Bool]) -> [(fpr: Double, tpr: Double)] {
        let p = Double(labels.filter { $0 }.count), n = Double(labels.count) - p
        guard p > 0, n > 0 else { return [] }
        return [(0, 0)] + curve(scores: scores, labels: labels).map { (Double($0.falsePositives) / n, Double($0.truePositives) / p) }
    }

    /// Average precision (`average_precision_score`): Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct
    /// thresholds, highest first (no interpolation). nil without positives.
    public static func averagePrecision(scores: [Double], labels: [Bool]) -> Double? {
        let p = Double(labels.filter { $0 }.count)
        guard p > 0 else { return nil }
        var ap = 0.0, lastRecall = 0.0
        for point in curve(scores: scores, labels: labels) {
            let recall = Double(point.truePositives) / p
            ap += (recall - lastRecall) * Double(point.truePositives) / Double(point.truePositives + point.falsePositives)
            lastRecall = recall
        }
        return ap
    }

    /// The highest sensitivity (true-positive rate) at a threshold whose specificity is at least
    /// `specificity` (false-positive rate ≤ 1 − specificity), over the thresholds of the ROC
    /// curve; nil when either class is absent.
    public static func sensitivity(atSpecificity specificity: Double, scores: [Double], labels: [Bool]) -> Double? {
        let roc = rocCurve(scores: scores, labels: labels)
        guard !roc.isEmpty else { return nil }
        return roc.filter { $0.fpr <= 1 - specificity + 1e-12 }.map(\.tpr).max()
    }

    /// Expected calibration error (Guo et al. 2017): cases binned by confidence into `bins` equal
    /// bins (i/B, (i+1)/B] (a confidence of 0 goes to the first), Σ |bin| / n · |accuracy − mean
    /// confidence|. NaN when empty.
    public static func expectedCalibrationError(confidence: [Double], correct: [Bool], bins: Int = 15) -> Double {
        precondition(confidence.count == correct.count && bins > 0)
        guard !confidence.isEmpty else { return .nan }
        var count = [Int](repeating: 0, count: bins), hits = [Double](repeating: 0, count: bins), sum = [Double](repeating: 0, count: bins)
        for (c, ok) in zip(confidence, correct) {
            // (b/B, (b+1)/B], compared as written (c·B rounds differently at the edges).
            var b = min(bins - 1, max(0, Int((c * Double(bins)).rounded(.up)) - 1))
            while b > 0 && c <= Double(b) / Double(bins) { b -= 1 }
            while b < bins - 1 && c > Double(b + 1) / Double(bins) { b += 1 }
            count[b] += 1
            sum[b] += c
            if ok { hits[b] += 1 }
        }
        var ece = 0.0
        for b in 0 ..< bins where count[b] > 0 {
            ece += abs(hits[b] - sum[b]) / Double(confidence.count)
        }
        return ece
    }

    /// ROC AUC of each class, one-vs-rest: class k's scores against "label is k"
    /// (single-label) or column k (multi-label); nil for classes with one kind of case only.
    /// - Parameters:
    ///   - scores: `[case][class]` probabilities or logits.
    ///   - positives: `[case][class]`, true where the case belongs to the class.
    public static func perClassAUC(scores: [[Double]], positives: [[Bool]]) -> [Double?] {
        guard let k = scores.first?.count else { return [] }
        return (0 ..< k).map { c in rocAUC(scores: scores.map { $0[c] }, labels: positives.map { $0[c] }) }
    }

    /// Mean of the defined per-class AUCs (`roc_auc_score(…, average="macro")`, and with
    /// `multi_class="ovr"` for single-label problems); NaN when none is defined. With two
    /// classes of a single-label problem, the AUC of class 1 (what scikit-learn reports).
    public static func macroAUC(scores: [[Double]], positives: [[Bool]]) -> Double {
        let per = perClassAUC(scores: scores, positives: positives)
        if per.count == 2, positives.allSatisfy({ $0[0] != $0[1] }) { return per[1] ?? .nan }
        let defined = per.compactMap { $0 }
        return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
    }

    /// Mean of the defined per-class average precisions (`average_precision_score(…, "macro")`).
    public static func macroAveragePrecision(scores: [[Double]], positives: [[Bool]]) -> Double {
        guard let k = scores.first?.count else { return .nan }
        let defined = (0 ..< k).compactMap { c in averagePrecision(scores: scores.map { $0[c] }, labels: positives.map { $0[c] }) }
        return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
    }

    /// One-hot rows for single-label truth.
    public static func oneHot(_ truth: [Int], classes: Int) -> [[Bool]] {
        truth.map { t in (0 ..< classes).map { $0 == t } }
    }
}
