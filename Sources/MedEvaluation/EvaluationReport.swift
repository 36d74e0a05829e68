import Foundation
import MedIO
import MedImage
import MedMetrics
public import MedReport

/// The HTML report of `medsr evaluate` and `medsr audit`: a summary table, per-label box
/// plots of PSNR and SSIM, a histogram of SSIM inside the mask, the audit's findings, and a
/// gallery of the best and worst tiles (LR, bicubic, sharpened, model, HR, |difference|,
/// SSIM map), each with the mask outlined in red.
public enum EvaluationReport {
    public static func build(title: String, context: String, results: [TileResult], audit: Audit?,
                             galleryCount: Int = 4, images: (TileResult) throws -> DatasetEvaluator.TileImages?) throws -> HTMLReport {
        var report = HTMLReport(title: title)
        report.addText(heading: nil, context)
        let methods = results.first?.methods ?? []
        func f(_ s: Summary, _ digits: Int) -> String {
            s.count == 0 ? "–" : String(format: "%.\(digits)f [%.\(digits)f, %.\(digits)f]", s.mean, s.ciLow, s.ciHigh)
        }
        var rows = [[String]]()
        for m in methods {
            let scores = results.compactMap { $0.scores[m] }
            rows.append([m, String(scores.count), f(Summary(scores.map(\.psnr)), 2), f(Summary(scores.map(\.ssim)), 4),
                         f(Summary(scores.compactMap { $0.ssimMask?.value }), 4),
                         f(Summary(scores.compactMap { $0.ssimBackground?.value }), 4)])
        }
        report.addTable(heading: "Summary (mean and 95% bootstrap interval)",
                        header: ["method", "tiles", "PSNR (dB)", "SSIM", "SSIM in mask", "SSIM outside mask"], rows: rows)

        if let audit {
            var auditRows = [[String]](), flagged = Set<Int>()
            for (i, m) in audit.methods.enumerated() {
                auditRows.append([m.method, String(m.tiles), String(format: "%.4f", m.ssimMask), String(format: "%.4f", m.ssimBackground),
                                  String(format: "%.0f%%", m.tumourChangedMore * 100), String(format: "%+.2f", m.meanShift),
                                  String(format: "%.2f", m.meanAbsShift), String(format: "%+.2f", m.stdShift),
                                  String(m.improvesWholeDegradesTumour)])
                if audit.flags.contains(where: { $0.hasPrefix(m.method + " ") || $0.hasPrefix(m.method + ":") }) { flagged.insert(i) }
            }
            report.addTable(heading: "Tumour-region audit",
                            header: ["method", "tiles with a mask", "SSIM in mask", "SSIM outside", "tiles where the mask changed more",
                                     "mean shift in mask", "mean |shift|", "std shift", "beats bicubic overall, loses in mask"],
                            rows: auditRows, flags: flagged)
            report.addText(heading: nil, audit.flags.isEmpty
                ? "No method improves the whole tile while degrading the masked region (intensity shifts are in source units, e.g. HU)."
                : "Findings: " + audit.flags.joined(separator: " · "))
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
        report.addFigure(heading: "By label", svg: SVGPlot.boxPlot(title: "PSNR (dB)", groups: labels, series: methods,
                                                                   values: grouped { $0.psnr.isFinite ? $0.psnr : nil }),
                         caption: "Box: quartiles and median; whiskers: 1.5 IQR; dots: outliers.")
        report.addFigure(heading: nil, svg: SVGPlot.boxPlot(title: "SSIM", groups: labels, series: methods, values: grouped { $0.ssim }),
                         caption: "SSIM over the whole tile (valid region).")
        report.addFigure(heading: nil, svg: SVGPlot.histogram(title: "SSIM inside the mask", series: methods,
                                                              values: methods.map { m in results.compactMap { $0.scores[m]?.ssimMask?.value } }),
                         caption: "Histogram over tiles with a mask of at least one SSIM window.")

        // Gallery: worst and best tiles by SSIM inside the mask (else whole-tile SSIM) of the last method.
        if let key = methods.last {
            func rank(_ r: TileResult) -> Double {
                let s = r.scores[key]
                return (s?.ssimMask?.value).flatMap { $0.isFinite ? $0 : nil } ?? s?.ssim ?? 0
            }
            let sorted = results.sorted { rank($0) < rank($1) }
            let picks = Array(sorted.prefix(galleryCount)) + Array(sorted.suffix(galleryCount).reversed())
            report.addHeading("Gallery: the \(galleryCount) worst and \(galleryCount) best tiles by SSIM of \(key) inside the mask")
            var seen = Set<String>()
            for r in picks where seen.insert(r.name).inserted {
                guard let im = try images(r) else { continue }
                report.addGalleryRow(title: "\(r.name)  \(r.label)", images: try galleryImages(r, im), note: note(r))
            }
        }
        return report
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
