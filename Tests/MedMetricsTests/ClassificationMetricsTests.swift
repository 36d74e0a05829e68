import Foundation
import MedImage
import MedMetrics
import Testing
import TestSupport

/// Classification metrics against scikit-learn and SciPy (Fixtures/metrics/classification.json,
/// from Tools/reference/classify_metrics.py): scores with many ties.
@Suite struct ClassificationMetricsTests {
    static func cases() throws -> [[String: Any]] {
        let json = try #require(try FixturePath.json("metrics/classification.json") as? [String: Any])
        return try #require(json["cases"] as? [[String: Any]])
    }

    static func number(_ c: [String: Any], _ key: String) throws -> Double { try #require(c[key] as? Double) }

    @Test func binaryEqualsScikitLearn() throws {
        var checked = 0
        for c in try Self.cases() where c["kind"] as? String == "binary" {
            let y = try #require(c["labels"] as? [Int]).map { $0 == 1 }
            let a = try #require(c["a"] as? [Double]), b = try #require(c["b"] as? [Double])
            let auc = try #require(ClassificationMetrics.rocAUC(scores: a, labels: y))
            #expect(abs(auc - (try Self.number(c, "auc"))) < 1e-9, "AUC \(auc)")
            let ap = try #require(ClassificationMetrics.averagePrecision(scores: a, labels: y))
            #expect(abs(ap - (try Self.number(c, "ap"))) < 1e-9, "AP \(ap)")
            let sens = try #require(ClassificationMetrics.sensitivity(atSpecificity: 0.9, scores: a, labels: y))
            #expect(abs(sens - (try Self.number(c, "sens_at_spec90"))) < 1e-12)
            let pa = a.map { $0 >= 0.5 ? 1 : 0 }, truth = y.map { $0 ? 1 : 0 }
            #expect(abs(ClassificationMetrics.accuracy(predicted: pa, truth: truth) - (try Self.number(c, "accuracy"))) < 1e-12)
            #expect(abs(ClassificationMetrics.balancedAccuracy(predicted: pa, truth: truth, classes: 2)
                    - (try Self.number(c, "balanced_accuracy"))) < 1e-12)
            #expect(ClassificationMetrics.confusionMatrix(predicted: pa, truth: truth, classes: 2) == (c["confusion"] as? [[Int]]))
            // The same AUC through the multi-class entry (two columns: scikit-learn reports class 1's).
            let two = a.map { [1 - $0, $0] }
            #expect(abs(ClassificationMetrics.macroAUC(scores: two, positives: ClassificationMetrics.oneHot(truth, classes: 2)) - auc) < 1e-12)

            let d = try #require(c["delong"] as? [String: Double])
            let ours = try #require(PairedTests.delong(a, b, labels: y))
            #expect(abs(ours.aucA - d["aucA"]!) < 1e-12 && abs(ours.aucB - d["aucB"]!) < 1e-12)
            #expect(abs(ours.standardError - d["se"]!) < 1e-9 * d["se"]!, "DeLong se \(ours.standardError) vs \(d["se"]!)")
            #expect(abs(ours.z - d["z"]!) < 1e-8 && abs(ours.p - d["p"]!) < 1e-9, "DeLong p \(ours.p) vs \(d["p"]!)")

            let m = try #require(c["mcnemar"] as? [String: Double])
            let ca = zip(pa, truth).map { $0 == $1 }, cb = zip(b.map { $0 >= 0.5 ? 1 : 0 }, truth).map { $0 == $1 }
            let mc = PairedTests.mcnemar(correctA: ca, correctB: cb)
            #expect(Double(mc.onlyA) == m["b"] && Double(mc.onlyB) == m["c"])
            #expect(abs(mc.p - m["p"]!) < 1e-12 * max(1, m["p"]!) + 1e-15, "McNemar p \(mc.p) vs \(m["p"]!)")

            let conf = zip(a, pa).map { $1 == 1 ? $0 : 1 - $0 }
            let ece = ClassificationMetrics.expectedCalibrationError(confidence: conf, correct: ca)
            #expect(abs(ece - (try Self.number(c, "ece"))) < 1e-12, "ECE \(ece)")
            checked += 1
        }
        #expect(checked == 3)
    }

    @Test func multiClassAndMultiLabelEqualScikitLearn() throws {
        let all = try Self.cases()
        let mc = try #require(all.first { $0["kind"] as? String == "multiclass" })
        let y = try #require(mc["labels"] as? [Int]), p = try #require(mc["scores"] as? [[Double]])
        let pred = try #require(mc["predicted"] as? [Int])
        let hot = ClassificationMetrics.oneHot(y, classes: 3)
        #expect(abs(ClassificationMetrics.macroAUC(scores: p, positives: hot) - (try Self.number(mc, "macro_auc"))) < 1e-9)
        let per = ClassificationMetrics.perClassAUC(scores: p, positives: hot)
        for (k, want) in try #require(mc["per_class_auc"] as? [Double]).enumerated() { #expect(abs(per[k]! - want) < 1e-9) }
        #expect(abs(ClassificationMetrics.macroAveragePrecision(scores: p, positives: hot) - (try Self.number(mc, "macro_ap"))) < 1e-9)
        #expect(abs(ClassificationMetrics.balancedAccuracy(predicted: pred, truth: y, classes: 3) - (try Self.number(mc, "balanced_accuracy"))) < 1e-12)
        #expect(ClassificationMetrics.confusionMatrix(predicted: pred, truth: y, classes: 3) == (mc["confusion"] as? [[Int]]))

        let ml = try #require(all.first { $0["kind"] as? String == "multilabel" })
        let labels = try #require(ml["labels"] as? [[Int]]).map { $0.map { $0 == 1 } }, s = try #require(ml["scores"] as? [[Double]])
        #expect(abs(ClassificationMetrics.macroAUC(scores: s, positives: labels) - (try Self.number(ml, "macro_auc"))) < 1e-9)
        #expect(abs(ClassificationMetrics.macroAveragePrecision(scores: s, positives: labels) - (try Self.number(ml, "macro_ap"))) < 1e-9)
    }

    /// Edge cases: one class only (no AUC), perfect and reversed rankings, all tied, and the
    /// patient bootstrap moving whole patients.
    @Test func edgeCases() {
        #expect(ClassificationMetrics.rocAUC(scores: [0.1, 0.2], labels: [true, true]) == nil)
        #expect(ClassificationMetrics.rocAUC(scores: [0.1, 0.2, 0.3], labels: [false, true, true]) == 1)
        #expect(ClassificationMetrics.rocAUC(scores: [0.3, 0.2, 0.1], labels: [false, true, true]) == 0)
        #expect(ClassificationMetrics.rocAUC(scores: [0.5, 0.5, 0.5, 0.5], labels: [false, true, false, true]) == 0.5)
        #expect(PairedTests.mcnemar(correctA: [true, false], correctB: [true, false]).p == 1)
        #expect(ClassificationMetrics.accuracy(predicted: [], truth: []).isNaN)
    }

    @Test func patientBootstrapOfAUC() {
        // 30 patients of 4 tiles each, scores separating the classes imperfectly.
        var scores = [Double](), labels = [Bool](), patients = [String]()
        var rng = SplitMix64(seed: 7)
        for p in 0 ..< 30 {
            let positive = p % 2 == 0
            for _ in 0 ..< 4 {
                scores.append(Double(rng.next() % 1000) / 1000 + (positive ? 0.3 : 0))
                labels.append(positive)
                patients.append("p\(p)")
            }
        }
        let auc = ClassificationMetrics.rocAUC(scores: scores, labels: labels)!
        let ci = PatientBootstrap.interval(patients: patients, seed: 1) { ClassificationMetrics.rocAUC(scores: $0.map { scores[$0] }, labels: $0.map { labels[$0] }) }
        #expect(ci.low < auc && auc < ci.high && ci.high - ci.low < 0.4)
        let again = PatientBootstrap.interval(patients: patients, seed: 1) { ClassificationMetrics.rocAUC(scores: $0.map { scores[$0] }, labels: $0.map { labels[$0] }) }
        #expect(ci == again)
        // Tiles of one patient move together: with each patient's four tiles identical, the
        // patient interval is wider than one that treats the 120 tiles as independent.
        let same = scores.indices.map { scores[$0 - $0 % 4] }
        func width(_ groups: [String]) -> Double {
            let ci = PatientBootstrap.interval(patients: groups, seed: 3) {
                ClassificationMetrics.rocAUC(scores: $0.map { same[$0] }, labels: $0.map { labels[$0] })
            }
            return ci.high - ci.low
        }
        #expect(width(patients) > 1.5 * width(patients.indices.map { "t\($0)" }))
    }
}
