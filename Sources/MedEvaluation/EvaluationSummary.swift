import Foundation
import MedMetrics
public import Zarr

/// Summaries of evaluation results: mean, std and 95% bootstrap intervals by method, split
/// and label, as JSON; the audit of the tumour region.
public enum EvaluationSummary {
    /// n, mean, std and the 95% interval of the mean, bootstrapped by patient (`clusters`).
    static func stats(_ values: [Double], clusters: [String]) -> JSONValue {
        let s = Summary(values, clusters: clusters)
        func n(_ v: Double) -> JSONValue { v.isFinite ? .double(v) : .null }
        return .object([("n", .int(s.count)), ("mean", n(s.mean)), ("std", n(s.std)),
                        ("ci95", .array([n(s.ciLow), n(s.ciHigh)]))])
    }

    static func metricStats(_ rows: [TileResult], method m: String) -> JSONValue {
        let scored = rows.filter { $0.scores[m] != nil }
        let who = scored.map(\.patient)
        func stat(_ value: (Score) -> Double?) -> JSONValue { stats(scored.map { value($0.scores[m]!) ?? .nan }, clusters: who) }
        return .object([
            ("psnr", stat { $0.psnr }),
            ("ssim", stat { $0.ssim }),
            ("mse", stat { $0.mse }),
            ("ssim_mask", stat { $0.ssimMask?.value }),
            ("ssim_background", stat { $0.ssimBackground?.value }),
        ])
    }

    /// `{"data_range": R, "methods": {m: {"all": …, "by_split": {…}, "by_label": {…}}}}`;
    /// each leaf holds n, mean, std and ci95 of psnr, ssim, mse, ssim_mask, ssim_background,
    /// ci95 bootstrapped by patient (tiles of one patient resampled together).
    /// Infinite PSNRs (identical images) are left out of the statistics and counted.
    public static func json(_ results: [TileResult], dataRange: Double) -> JSONValue {
        let methods = results.first?.methods ?? []
        var out = [(String, JSONValue)]()
        for m in methods {
            let all = results.compactMap { $0.scores[m] }
            let splits = Set(results.map(\.split)).sorted(), labels = Set(results.map(\.label)).sorted()
            out.append((m, .object([
                ("all", metricStats(results, method: m)),
                ("identical_images", .int(all.filter { $0.psnr == .infinity }.count)),
                ("by_split", .object(splits.map { s in (s, metricStats(results.filter { $0.split == s }, method: m)) })),
                ("by_label", .object(labels.map { l in (l.isEmpty ? "(none)" : l, metricStats(results.filter { $0.label == l }, method: m)) })),
            ])))
        }
        return .object([("data_range", .double(dataRange)), ("tiles", .int(results.count)),
                        ("patients", .int(Set(results.map(\.patient).filter { !$0.isEmpty }).count)),
                        ("ci95", .string("95% bootstrap interval of the mean, resampling patients")), ("methods", .object(out))])
    }
}

/// The tumour-region audit: does a method change the region inside the mask more than the rest?
public struct Audit: Sendable {
    public struct MethodAudit: Sendable {
        public var method: String
        /// Tiles with a defined SSIM inside the mask.
        public var tiles: Int
        public var ssimMask: Double
        public var ssimBackground: Double
        public var ssimWhole: Double
        public var psnr: Double
        /// Fraction of tiles where SSIM inside the mask is below SSIM outside it.
        public var tumourChangedMore: Double
        /// Mean over tiles of (method − reference) mean and std inside the mask, source units.
        public var meanShift: Double
        public var meanAbsShift: Double
        public var stdShift: Double
        /// Tiles where the method beats bicubic on whole-image SSIM but loses inside the mask.
        public var improvesWholeDegradesTumour: Int
    }

    public var methods: [MethodAudit]
    /// Worst tiles by SSIM inside the mask (method, name, value), worst first.
    public var worst: [(method: String, name: String, label: String, ssimMask: Double, ssimBackground: Double)]
    /// One line per finding a person must see.
    public var flags: [String]
    /// Tiles without a usable mask (no mask pixels, or fewer than one SSIM window).
    public var skippedTiles: Int

    public init(_ results: [TileResult], worstCount: Int = 10) {
        let audited = results.filter { r in r.methods.contains { r.scores[$0]?.ssimMask?.value.isFinite == true } }
        skippedTiles = results.count - audited.count
        var methods = [MethodAudit]()
        var worst = [(String, String, String, Double, Double)]()
        let names = results.first?.methods ?? []
        func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
        for m in names {
            let rows = audited.compactMap { r -> (TileResult, Score)? in
                guard let s = r.scores[m], s.ssimMask?.value.isFinite == true else { return nil }
                return (r, s)
            }
            let inside = rows.map { $0.1.ssimMask!.value }
            let outside = rows.map { $0.1.ssimBackground?.value ?? .nan }
            let changedMore = rows.filter { row in
                guard let b = row.1.ssimBackground?.value, b.isFinite else { return false }
                return row.1.ssimMask!.value < b
            }.count
            var shifts = [Double](), absShifts = [Double](), stdShifts = [Double]()
            var tradeOffs = 0
            for (r, s) in rows {
                if let ref = r.referenceInMask, let got = r.inMask[m] {
                    shifts.append(got.mean - ref.mean)
                    absShifts.append(abs(got.mean - ref.mean))
                    stdShifts.append(got.std - ref.std)
                }
                if m != "bicubic", let b = r.scores["bicubic"], let bm = b.ssimMask?.value, bm.isFinite,
                   s.ssim > b.ssim, s.ssimMask!.value < bm { tradeOffs += 1 }
                worst.append((m, r.name, r.label, s.ssimMask!.value, s.ssimBackground?.value ?? .nan))
            }
            methods.append(MethodAudit(method: m, tiles: rows.count, ssimMask: mean(inside),
                                       ssimBackground: mean(outside.filter(\.isFinite)), ssimWhole: mean(rows.map { $0.1.ssim }),
                                       psnr: mean(rows.map { $0.1.psnr }.filter(\.isFinite)),
                                       tumourChangedMore: rows.isEmpty ? .nan : Double(changedMore) / Double(rows.count),
                                       meanShift: mean(shifts), meanAbsShift: mean(absShifts), stdShift: mean(stdShifts),
                                       improvesWholeDegradesTumour: tradeOffs))
        }
        self.methods = methods
        self.worst = Array(worst.sorted { $0.3 < $1.3 }.prefix(worstCount))
        var flags = [String]()
        if let base = methods.first(where: { $0.method == "bicubic" }) {
            for m in methods where m.method != "bicubic" && m.tiles > 0 {
                if m.ssimWhole > base.ssimWhole && m.ssimMask < base.ssimMask {
                    flags.append("\(m.method) improves whole-image SSIM over bicubic (\(String(format: "%.4f", m.ssimWhole)) vs \(String(format: "%.4f", base.ssimWhole))) but lowers SSIM inside the mask (\(String(format: "%.4f", m.ssimMask)) vs \(String(format: "%.4f", base.ssimMask)))")
                }
                if m.psnr > base.psnr && m.ssimMask < base.ssimMask {
                    flags.append("\(m.method) improves PSNR over bicubic but lowers SSIM inside the mask")
                }
                if m.improvesWholeDegradesTumour > 0 {
                    flags.append("\(m.method): on \(m.improvesWholeDegradesTumour) of \(m.tiles) tiles it beats bicubic on the whole tile but loses inside the mask")
                }
            }
        }
        for m in methods where m.tiles > 0 && m.tumourChangedMore > 0.5 {
            flags.append("\(m.method) changes the masked region more than the background on \(Int((m.tumourChangedMore * 100).rounded()))% of tiles")
        }
        self.flags = flags
    }
}
