import Foundation
import MedIO
import MedImage
import MedMetrics
public import MedReport

/// The HTML report of `medsr evaluate` and `medsr audit`: a summary table, paired differences
/// to bicubic, a per-label table (intervals bootstrapped by patient), per-label box plots of
/// PSNR and SSIM, and — for datasets with masks — a histogram of SSIM inside the mask and the
/// audit's findings; then a gallery of the best and worst tiles (LR, bicubic, sharpened, model,
/// HR, |difference|, SSIM map) named by source file and patient pseudonym, masks outlined in red.
public enum EvaluationReport {
    /// - Parameters:
    ///   - masks: whether the dataset has masks; nil: whether any tile has a score inside a mask.
    ///     Without masks the mask columns, the audit and the in-mask histogram are left out.
    public static func build(title: String, context: String, results: [TileResult], audit: Audit?, masks: Bool? = nil,
                             galleryCount: Int = 4, images: (TileResult) throws -> DatasetEvaluator.TileImages?) throws -> HTMLReport {
        var report = HTMLReport(title: title)
        report.addText(heading: nil, context)
        let methods = results.first?.methods ?? []
        let hasMasks = masks ?? results.contains { r in r.scores.values.contains { $0.ssimMask != nil } }
        let patients = Set(results.map(\.patient).filter { !$0.isEmpty }).count
        func f(_ s: Summary, _ digits: Int) -> String {
            s.count == 0 ? "–" : String(format: "%.\(digits)f [%.\(digits)f, %.\(digits)f]", s.mean, s.ciLow, s.ciHigh)
        }
        func summary(_ rows: [TileResult], _ value: (TileResult) -> Double?) -> Summary {
            Summary(rows.map { value($0) ?? .nan }, clusters: rows.map(\.patient))
        }
        report.addText(heading: nil, "\(results.count) tile\(results.count == 1 ? "" : "s")"
            + (patients > 0 ? " of \(patients) patient\(patients == 1 ? "" : "s")" : "")
            + (patients == 1
                ? ". With one patient, intervals can only resample tiles, which are not independent: they overstate how certain the result is."
                : ". Intervals are 95% bootstrap intervals of the mean that resample patients, not tiles: the tiles of one patient are not "
                    + "independent, so the interval reflects how many patients the result rests on."))
        if !hasMasks {
            report.addText(heading: nil, "This dataset has no masks, so SSIM inside and outside a mask, the tumour-region audit and the "
                + "in-mask histogram are left out; the gallery ranks tiles by whole-tile SSIM.")
        }
        var rows = [[String]]()
        for m in methods {
            let scored = results.filter { $0.scores[m] != nil }
            var row = [m, String(scored.count), f(summary(scored) { $0.scores[m]!.psnr }, 2), f(summary(scored) { $0.scores[m]!.ssim }, 4)]
            if hasMasks {
                row += [f(summary(scored) { $0.scores[m]!.ssimMask?.value }, 4), f(summary(scored) { $0.scores[m]!.ssimBackground?.value }, 4)]
            }
            rows.append(row)
        }
        report.addTable(heading: "Summary (mean and 95% interval, by patient)",
                        header: ["method", "tiles", "PSNR (dB)", "SSIM"] + (hasMasks ? ["SSIM in mask", "SSIM outside mask"] : []), rows: rows)

        addPaired(&report, results: results, methods: methods)
        addByLabel(&report, results: results, methods: methods)

        if hasMasks, let audit {
            var auditRows = [[String]](), flagged = Set<Int>()
            func g(_ v: Double, _ format: String, scale: Double = 1) -> String { v.isFinite ? String(format: format, v * scale) : "–" }
            for (i, m) in audit.methods.enumerated() {
                auditRows.append([m.method, String(m.tiles), g(m.ssimMask, "%.4f"), g(m.ssimBackground, "%.4f"),
                                  g(m.tumourChangedMore, "%.0f%%", scale: 100), g(m.meanShift, "%+.2f"),
                                  g(m.meanAbsShift, "%.2f"), g(m.stdShift, "%+.2f"), String(m.improvesWholeDegradesTumour)])
                if audit.flags.contains(where: { $0.hasPrefix(m.method + " ") || $0.hasPrefix(m.method + ":") }) { flagged.insert(i) }
            }
            report.addTable(heading: "Tumour-region audit",
                            header: ["method", "tiles with a mask", "SSIM in mask", "SSIM outside", "tiles where the mask changed more",
                                     "mean shift in mask", "mean |shift|", "std shift", "beats bicubic overall, loses in mask"],
                            rows: auditRows, flags: flagged)
            report.addText(heading: nil, audit.flags.isEmpty
                ? "No method improves the whole tile while degrading the masked region (intensity shifts are in source units, e.g. HU)."
                : "Findings: " + audit.flags.joined(separator: " · "))
            if !flagged.isEmpty {
                report.addText(heading: nil, "Rows shaded red are methods with a finding above: they beat bicubic on the whole tile but do "
                    + "worse inside the mask, or change the masked region more than the background on most tiles. Check their gallery "
                    + "tiles before trusting them on lesions.")
            }
            if audit.skippedTiles > 0 {
                report.addText(heading: nil, "\(audit.skippedTiles) tile(s) have no mask pixels or fewer than one 11×11 SSIM window inside the mask and are left out of the audit.")
            }
        }

        let labels = Set(results.map { $0.label.isEmpty ? "(none)" : $0.label }).sorted()
        func grouped(_ value: (Score) -> Double?) -> [[[Double]]] {
            labels.map { l in methods.map { m in
                results.filter { ($0.label.isEmpty ? "(none)" : $0.label) == l }.compactMap { $0.scores[m].flatMap(value) }
            } }
        }
        report.addFigure(heading: "Distributions by label", svg: SVGPlot.boxPlot(title: "PSNR (dB)", groups: labels, series: methods,
                                                                   values: grouped { $0.psnr.isFinite ? $0.psnr : nil }),
                         caption: "Box: quartiles and median; whiskers: 1.5 IQR; dots: outliers.")
        report.addFigure(heading: nil, svg: SVGPlot.boxPlot(title: "SSIM", groups: labels, series: methods, values: grouped { $0.ssim }),
                         caption: "SSIM over the whole tile (valid region).")
        let inMask = methods.map { m in results.compactMap { $0.scores[m]?.ssimMask?.value }.filter(\.isFinite) }
        if hasMasks && inMask.contains(where: { !$0.isEmpty }) {
            report.addFigure(heading: nil, svg: SVGPlot.histogram(title: "SSIM inside the mask", series: methods, values: inMask),
                             caption: "Histogram over tiles with a mask of at least one SSIM window.")
        }

        // Gallery: worst and best tiles by SSIM inside the mask (else whole-tile SSIM) of the last method.
        if let key = methods.last {
            func rank(_ r: TileResult) -> Double {
                let s = r.scores[key]
                return (hasMasks ? (s?.ssimMask?.value).flatMap { $0.isFinite ? $0 : nil } : nil) ?? s?.ssim ?? 0
            }
            let sorted = results.sorted { rank($0) < rank($1) }
            let picks = Array(sorted.prefix(galleryCount)) + Array(sorted.suffix(galleryCount).reversed())
            report.addHeading("Gallery: the \(galleryCount) worst and \(galleryCount) best tiles by SSIM of \(key)"
                + (hasMasks ? " inside the mask (whole tile where a tile has no mask)" : " (whole tile)"))
            report.addText(heading: nil, "Each row names the source file, the patient's pseudonym (the same keyed hash as in tiles.csv) and "
                + "the tile. Click an image to see it at full resolution; Esc or a click closes it."
                + (hasMasks ? " The mask is outlined in red." : ""))
            var seen = Set<String>()
            for r in picks where seen.insert(r.name).inserted {
                guard let im = try images(r) else { continue }
                report.addGalleryRow(title: galleryTitle(r), images: try galleryImages(r, im), note: note(r))
            }
        }
        return report
    }

    /// "source file · patient P · label · tile split/index".
    static func galleryTitle(_ r: TileResult) -> String {
        var parts = [r.source.isEmpty ? r.name : r.source]
        if !r.patient.isEmpty { parts.append("patient \(r.patient)") }
        if !r.label.isEmpty { parts.append(r.label) }
        if !r.source.isEmpty { parts.append("tile \(r.name)") }
        return parts.joined(separator: " · ")
    }

    /// Paired differences to bicubic, tile by tile: mean [interval by patient] of method − bicubic
    /// and the share of tiles where the method is better, overall and per label.
    static func addPaired(_ report: inout HTMLReport, results: [TileResult], methods: [String]) {
        guard methods.contains("bicubic") else { return }
        let labels = Set(results.map(\.label)).sorted()
        var rows = [[String]]()
        for m in methods where m != "bicubic" {
            var groups: [(String, [TileResult])] = [("all", results)]
            if labels.count > 1 {
                for l in labels { groups.append((l.isEmpty ? "(none)" : l, results.filter { $0.label == l })) }
            }
            for (name, subset) in groups {
                let pairs = subset.compactMap { r -> (TileResult, Score, Score)? in
                    guard let a = r.scores[m], let b = r.scores["bicubic"], a.psnr.isFinite, b.psnr.isFinite else { return nil }
                    return (r, a, b)
                }
                guard !pairs.isEmpty else { continue }
                let who = pairs.map(\.0.patient)
                let dp = Summary(pairs.map { $0.1.psnr - $0.2.psnr }, clusters: who)
                let ds = Summary(pairs.map { $0.1.ssim - $0.2.ssim }, clusters: who)
                let better = pairs.filter { $0.1.psnr > $0.2.psnr }.count
                rows.append(["\(m) − bicubic", name, String(pairs.count), String(Set(who.filter { !$0.isEmpty }).count),
                             String(format: "%+.2f [%+.2f, %+.2f]", dp.mean, dp.ciLow, dp.ciHigh),
                             String(format: "%+.4f [%+.4f, %+.4f]", ds.mean, ds.ciLow, ds.ciHigh),
                             String(format: "%.0f%% (%d of %d)", Double(better) / Double(pairs.count) * 100, better, pairs.count)])
            }
        }
        guard !rows.isEmpty else { return }
        report.addTable(heading: "Paired differences to bicubic (same tiles)",
                        header: ["difference", "label", "tiles", "patients", "ΔPSNR (dB)", "ΔSSIM", "tiles improved (PSNR)"], rows: rows)
        report.addText(heading: nil, "Each tile is scored by both methods; the table gives the mean of the per-tile difference "
            + "(positive: better than bicubic) with its 95% interval resampling patients, and the share of tiles where the method's PSNR is higher.")
    }

    /// Per label: tiles, patients, and each method's PSNR and SSIM with intervals by patient.
    static func addByLabel(_ report: inout HTMLReport, results: [TileResult], methods: [String]) {
        let labels = Set(results.map(\.label)).sorted()
        var rows = [[String]]()
        for l in labels {
            let subset = results.filter { $0.label == l }
            let n = Set(subset.map(\.patient).filter { !$0.isEmpty }).count
            for m in methods {
                let scored = subset.filter { $0.scores[m] != nil }
                guard !scored.isEmpty else { continue }
                let who = scored.map(\.patient)
                let p = Summary(scored.map { $0.scores[m]!.psnr }, clusters: who), s = Summary(scored.map { $0.scores[m]!.ssim }, clusters: who)
                rows.append([l.isEmpty ? "(none)" : l, m, String(scored.count), String(n),
                             p.count == 0 ? "–" : String(format: "%.2f [%.2f, %.2f]", p.mean, p.ciLow, p.ciHigh),
                             s.count == 0 ? "–" : String(format: "%.4f [%.4f, %.4f]", s.mean, s.ciLow, s.ciHigh)])
            }
        }
        report.addTable(heading: "By label (mean and 95% interval, by patient)",
                        header: ["label", "method", "tiles", "patients", "PSNR (dB)", "SSIM"], rows: rows)
    }

    static func note(_ r: TileResult) -> String {
        r.methods.compactMap { m in
            guard let s = r.scores[m] else { return nil }
            var t = "\(m): PSNR \(s.psnr.isFinite ? String(format: "%.2f", s.psnr) : "∞") dB, SSIM \(String(format: "%.4f", s.ssim))"
            if let v = s.ssimMask?.value, v.isFinite { t += ", in mask \(String(format: "%.4f", v))" }
            return t
        }.joined(separator: "; ")
    }

    static func galleryImages(_ r: TileResult, _ im: DatasetEvaluator.TileImages) throws -> [(label: String, png: [UInt8])] {
        let top: Float = im.hr.sampleType == .uint16 ? 65535 : 255
        func display(_ p: PixelArray) -> PixelArray {  // 8-bit RGB with the mask outlined
            let spp = p.samplesPerPixel, n = p.rows * p.columns, v = p.samples.floats()
            var rgb = [UInt8](repeating: 0, count: n * 3)
            for i in 0 ..< n {
                for c in 0 ..< 3 {
                    let s = v[i * spp + min(c, spp - 1)] / top * 255
                    rgb[i * 3 + c] = UInt8(min(max(s.rounded(), 0), 255))
                }
            }
            if let mask = im.mask, mask.count == n {
                for y in 0 ..< p.rows {
                    for x in 0 ..< p.columns where mask[y * p.columns + x] != 0 {
                        let edge = x == 0 || y == 0 || x == p.columns - 1 || y == p.rows - 1
                            || mask[y * p.columns + x - 1] == 0 || mask[y * p.columns + x + 1] == 0
                            || mask[(y - 1) * p.columns + x] == 0 || mask[(y + 1) * p.columns + x] == 0
                        if edge { rgb[(y * p.columns + x) * 3] = 255; rgb[(y * p.columns + x) * 3 + 1] = 0; rgb[(y * p.columns + x) * 3 + 2] = 0 }
                    }
                }
            }
            return PixelArray(rows: p.rows, columns: p.columns, samplesPerPixel: 3, samples: .uint8(rgb))
        }
        var out = [(String, [UInt8])]()
        let lrUp = Resample.nearest(im.lr, columns: im.hr.columns, rows: im.hr.rows)
        out.append(("LR ×\(im.hr.columns / max(im.lr.columns, 1)) (nearest)", try PNGCodec.encode(display(lrUp))))
        for (name, p) in im.candidates { out.append((name, try PNGCodec.encode(display(p)))) }
        out.append(("HR", try PNGCodec.encode(display(im.hr))))
        if let (name, last) = im.candidates.last {
            let a = last.samples.floats(), b = im.hr.samples.floats()
            let diff = zip(a, b).map { min(abs($0 - $1) * 4, top) }  // ×4 so small errors show
            var d = im.hr
            d.samples = .float32(diff)
            out.append(("|\(name) − HR| ×4", try PNGCodec.encode(display(d))))
            let hrPlanes = MetricPlanes.planes(im.hr, luminance: true), lastPlanes = MetricPlanes.planes(last, luminance: true)
            if let map = try? SSIM(dataRange: Double(top)).compute(hrPlanes[0], lastPlanes[0], map: true).map {
                var m = PixelArray(rows: map.rows, columns: map.columns, samples: .float32(map.values.map { max($0, 0) * top }))
                m = display(m)
                out.append(("SSIM map of \(name) (white = 1)", try PNGCodec.encode(m)))
            }
        }
        return out
    }
}
