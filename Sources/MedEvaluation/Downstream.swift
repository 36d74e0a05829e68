public import Foundation
public import MedDataset
public import MedImage
public import MedMetrics
public import MedNN
import MedReport
import Zarr

/// The downstream check: does super-resolution give back the diagnostic accuracy that low
/// resolution took away? A classifier sees, for every tile of a split, the HR tile, bicubic
/// from the LR tile, unsharp-masked bicubic, and each SR model's output, all at its input size.
public enum Downstream {
    /// One kind of input and what the classifier made of it.
    public struct Kind: Sendable {
        public var name: String
        public var probabilities: [[Double]]
        public var accuracy: Double, balancedAccuracy: Double, macroAUC: Double
        public var aucInterval: PatientBootstrap.Interval
        /// Macro AUC minus HR's and minus bicubic's, with patient-bootstrap intervals.
        public var fromHR: (value: Double, interval: PatientBootstrap.Interval)
        public var fromBicubic: (value: Double, interval: PatientBootstrap.Interval)
        /// DeLong p-value against HR per class (binary single-label: class 1 only).
        public var delongVsHR: [Double?]
        /// McNemar's exact p-value against HR on correctness (single-label), and the share of
        /// cases whose predicted class differs from HR's.
        public var mcnemarVsHR: Double?
        public var changedFromHR: Double
    }

    public struct Result: Sendable {
        public var kinds: [Kind]
        public var labels: ClassLabels
        public var tiles: Int, patients: Int, scale: Int
        /// "On this test set, ×4 SR recovers X of the Y AUC points lost to low resolution (95% CI …)."
        public var sentences: [String]
    }

    /// Runs the check on `split` of `dataset`.
    /// - Parameters:
    ///   - models: SR (or restoration) models by name; restoration models get bicubic from LR.
    ///   - limit: at most this many tiles (the first ones).
    public static func run(classifier: ClassifierFile, dataset: Dataset, split: String, scale: Int, models: [(String, EnhancementModel)],
                           sharpen: UnsharpMask = UnsharpMask(), limit: Int? = nil, resamples: Int = 2000) throws -> Result {
        let hrReader = try dataset.array(split, "hr"), lrReader = try dataset.array(split, "lr_x\(scale)")
        let (labelText, patients) = try ClassLabels.tileLabels(dataset, split: split)
        let count = min(limit ?? hrReader.count, hrReader.count, labelText.count)
        var names = ["HR", "bicubic", "sharpened bicubic"] + models.map(\.0)
        var probabilities = [[[Double]]](repeating: [], count: names.count)
        for i in 0 ..< count {
            let hr = try dataset.tilePixels(hrReader, i), lr = try dataset.tilePixels(lrReader, i)
            let bicubic = Resample.bicubic(lr, columns: hr.columns, rows: hr.rows)
            var inputs = [hr, bicubic, sharpened(bicubic, sharpen)]
            for (_, m) in models {
                let out = m.scale > 1 ? m.enhance(lr) : m.enhance(bicubic)
                inputs.append(out.rows == hr.rows && out.columns == hr.columns ? out : Resample.bicubic(out, columns: hr.columns, rows: hr.rows))
            }
            for (k, p) in classifier.probabilities(inputs).enumerated() { probabilities[k].append(p) }
        }
        names = names.map { $0 }
        let labels = classifier.labels
        let truth = labelText.prefix(count).map(labels.targets), pats = Array(patients.prefix(count))
        let truthIndex = labelText.prefix(count).map { labels.index($0) ?? -1 }
        func argmax(_ p: [[Double]]) -> [Int] { p.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 } }
        func macro(_ p: [[Double]], _ idx: [Int]) -> Double? {
            let v = ClassificationMetrics.macroAUC(scores: idx.map { p[$0] }, positives: idx.map { truth[$0] })
            return v.isFinite ? v : nil
        }
        let all = Array(0 ..< count)
        let binary = !labels.isMultiLabel && labels.count == 2
        var kinds = [Kind]()
        for (k, p) in probabilities.enumerated() {
            let pred = argmax(p)
            let hrP = probabilities[0], biP = probabilities[1]
            let fromHR = (macro(p, all) ?? .nan) - (macro(hrP, all) ?? .nan), fromBi = (macro(p, all) ?? .nan) - (macro(biP, all) ?? .nan)
            let classesTested = binary ? [1] : Array(0 ..< labels.count)
            let delong: [Double?] = classesTested.map { c in
                PairedTests.delong(p.map { $0[c] }, hrP.map { $0[c] }, labels: truth.map { $0[c] })?.p
            }
            let correct = zip(pred, truthIndex).map { $0 == $1 }, hrCorrect = zip(argmax(hrP), truthIndex).map { $0 == $1 }
            kinds.append(Kind(
                name: names[k], probabilities: p,
                accuracy: labels.isMultiLabel ? .nan : ClassificationMetrics.accuracy(predicted: pred, truth: truthIndex),
                balancedAccuracy: labels.isMultiLabel ? .nan : ClassificationMetrics.balancedAccuracy(predicted: pred, truth: truthIndex, classes: labels.count),
                macroAUC: macro(p, all) ?? .nan,
                aucInterval: PatientBootstrap.interval(patients: pats, resamples: resamples) { macro(p, $0) },
                fromHR: (fromHR, PatientBootstrap.interval(patients: pats, resamples: resamples) { i in macro(p, i).flatMap { a in macro(hrP, i).map { a - $0 } } }),
                fromBicubic: (fromBi, PatientBootstrap.interval(patients: pats, resamples: resamples) { i in macro(p, i).flatMap { a in macro(biP, i).map { a - $0 } } }),
                delongVsHR: delong,
                mcnemarVsHR: labels.isMultiLabel ? nil : PairedTests.mcnemar(correctA: correct, correctB: hrCorrect).p,
                changedFromHR: count == 0 ? .nan : Double(zip(pred, argmax(hrP)).filter { $0 != $1 }.count) / Double(count)))
        }
        var sentences = [String]()
        if kinds.count > 3, kinds[0].macroAUC.isFinite, kinds[1].macroAUC.isFinite {
            let lost = kinds[0].macroAUC - kinds[1].macroAUC
            for (kind, (_, model)) in zip(kinds.dropFirst(3), models) {
                let ci = kind.fromBicubic.interval
                // SR runs on the LR tile; restoration runs on bicubic.
                let method = model.scale > 1 ? "×\(scale) SR" : "restoration of bicubic ×\(scale)"
                let gained = kind.fromBicubic.value
                let what: String
                if lost <= 0 {
                    what = String(format: "recovers nothing, as low resolution cost nothing here: it changes the macro AUC by %+.1f points from bicubic (HR %.3f, bicubic %.3f)",
                                  100 * gained, kinds[0].macroAUC, kinds[1].macroAUC)
                } else if gained > lost {
                    what = String(format: "recovers all %.1f AUC points lost to low resolution and %.1f more: above HR", 100 * lost, 100 * (gained - lost))
                } else {
                    what = String(format: "recovers %.1f of the %.1f AUC points lost to low resolution", 100 * gained, 100 * lost)
                }
                let few = Set(pats).count < 10
                    ? " Only \(Set(pats).count) patient\(Set(pats).count == 1 ? "" : "s") in this split: intervals bootstrapped by patient mean little." : ""
                sentences.append(String(format: "On this %@ set, %@ (%@) %@ (95%% CI of the change from bicubic %.1f to %.1f; %d tiles, %d patients).",
                                        split, method, kind.name, what, 100 * ci.low, 100 * ci.high, count, Set(pats).count) + few)
            }
        } else if kinds.count > 1 {
            sentences.append(String(format: "On this %@ set, low resolution (bicubic ×%d) changes the classifier's macro AUC by %+.1f points (HR %.3f, bicubic %.3f).",
                                    split, scale, 100 * (kinds[1].macroAUC - kinds[0].macroAUC), kinds[0].macroAUC, kinds[1].macroAUC))
        }
        return Result(kinds: kinds, labels: labels, tiles: count, patients: Set(pats).count, scale: scale, sentences: sentences)
    }

    static func sharpened(_ p: PixelArray, _ mask: UnsharpMask) -> PixelArray {
        let maxValue: Double = p.sampleType == .uint16 ? 65535 : 255
        let spp = p.samplesPerPixel, v = p.samples.floats(), n = p.rows * p.columns
        var out = v
        for c in 0 ..< spp {
            let plane = (0 ..< n).map { v[$0 * spp + c] }
            let s = mask.apply(plane, rows: p.rows, columns: p.columns, maxValue: maxValue)
            for i in 0 ..< n { out[i * spp + c] = s[i] }
        }
        let samples: Samples = p.sampleType == .uint16 ? .uint16(out.map { UInt16(min(65535, max(0, $0.rounded()))) })
            : .uint8(out.map { UInt8(min(255, max(0, $0.rounded()))) })
        return PixelArray(rows: p.rows, columns: p.columns, samplesPerPixel: spp, samples: samples)
    }
}

extension Downstream.Result {
    /// One row per input kind.
    public var csv: String {
        var rows = ["input,accuracy,balanced_accuracy,macro_auc,auc_ci_low,auc_ci_high,delta_auc_from_hr,delta_from_hr_ci_low,delta_from_hr_ci_high,delta_auc_from_bicubic,delta_from_bicubic_ci_low,delta_from_bicubic_ci_high,delong_p_vs_hr,mcnemar_p_vs_hr,changed_from_hr"]
        for k in kinds {
            let d = k.delongVsHR.map { $0.map { String(format: "%.6g", $0) } ?? "" }.joined(separator: ";")
            rows.append([k.name, f(k.accuracy), f(k.balancedAccuracy), f(k.macroAUC), f(k.aucInterval.low), f(k.aucInterval.high),
                         f(k.fromHR.value), f(k.fromHR.interval.low), f(k.fromHR.interval.high), f(k.fromBicubic.value),
                         f(k.fromBicubic.interval.low), f(k.fromBicubic.interval.high), d, k.mcnemarVsHR.map(f) ?? "", f(k.changedFromHR)]
                .map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// The summary as JSON (NaN as null), for scripts.
    public var json: [String: Any] {
        func n(_ v: Double) -> Any { v.isFinite ? v : NSNull() }
        return ["tiles": tiles, "patients": patients, "scale": scale, "classes": labels.names, "sentences": sentences,
                "inputs": kinds.map { k -> [String: Any] in
                    ["input": k.name, "accuracy": n(k.accuracy), "balanced_accuracy": n(k.balancedAccuracy), "macro_auc": n(k.macroAUC),
                     "macro_auc_ci": [n(k.aucInterval.low), n(k.aucInterval.high)],
                     "delta_auc_from_hr": n(k.fromHR.value), "delta_auc_from_hr_ci": [n(k.fromHR.interval.low), n(k.fromHR.interval.high)],
                     "delta_auc_from_bicubic": n(k.fromBicubic.value),
                     "delta_auc_from_bicubic_ci": [n(k.fromBicubic.interval.low), n(k.fromBicubic.interval.high)],
                     "delong_p_vs_hr": k.delongVsHR.map { $0.map(n) ?? NSNull() }, "mcnemar_p_vs_hr": k.mcnemarVsHR.map(n) ?? NSNull(),
                     "changed_from_hr": n(k.changedFromHR)]
                }]
    }

    func f(_ v: Double) -> String { v.isFinite ? String(format: "%.6f", v) : "" }

    /// The report: the clinician sentence first, then the table and each kind's ROC curves.
    public func html(title: String) -> String {
        var page = HTMLReport(title: title)
        page.addText(heading: nil, sentences.joined(separator: " "))
        page.addTable(heading: "Per input kind (\(tiles) tiles, \(patients) patients; 95% intervals bootstrapped by patient)",
                      header: ["input", "accuracy", "balanced acc.", "macro AUC (95% CI)", "Δ AUC vs HR (95% CI)", "Δ AUC vs bicubic (95% CI)",
                               "DeLong p vs HR", "McNemar p vs HR", "prediction changed vs HR"],
                      rows: kinds.map { k in
                          [k.name, f(k.accuracy), f(k.balancedAccuracy),
                           String(format: "%.4f (%.4f–%.4f)", k.macroAUC, k.aucInterval.low, k.aucInterval.high),
                           String(format: "%+.4f (%+.4f to %+.4f)", k.fromHR.value, k.fromHR.interval.low, k.fromHR.interval.high),
                           String(format: "%+.4f (%+.4f to %+.4f)", k.fromBicubic.value, k.fromBicubic.interval.low, k.fromBicubic.interval.high),
                           k.delongVsHR.map { $0.map { String(format: "%.3g", $0) } ?? "–" }.joined(separator: " "),
                           k.mcnemarVsHR.map { String(format: "%.3g", $0) } ?? "–", String(format: "%.1f%%", 100 * k.changedFromHR)]
                      })
        return page.html()
    }
}
