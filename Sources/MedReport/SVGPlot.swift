import Foundation

/// Small inline SVG plots: box plots per group and a histogram. No scripts, no fonts to fetch.
public enum SVGPlot {
    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"]

    /// Axis labels: three significant digits below 1 (a learning rate of 2.5e-4 must not read 0.000).
    static func format(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 100 { return String(format: "%.0f", v) }
        if abs(v) >= 1 { return String(format: "%.2f", v) }
        if abs(v) >= 0.001 { return String(format: "%.3g", v) }
        return String(format: "%.2e", v)
    }

    /// Box plots (median, quartiles, whiskers at 1.5 IQR, outliers as dots), one box per
    /// (group, series): e.g. groups = labels, series = methods.
    public static func boxPlot(title: String, groups: [String], series: [String], values: [[[Double]]],
                               width: Int = 760, height: Int = 300) -> String {
        let all = values.flatMap { $0.flatMap { $0.filter(\.isFinite) } }
        guard let lo0 = all.min(), let hi0 = all.max() else { return "<svg width=\"\(width)\" height=\"40\"><text x=\"10\" y=\"25\">no data</text></svg>" }
        let pad = (hi0 - lo0) * 0.05 + 1e-9, lo = lo0 - pad, hi = hi0 + pad
        let left = 60.0, right = 20.0, top = 30.0, bottom = 50.0
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        func y(_ v: Double) -> Double { top + plotH * (1 - (v - lo) / (hi - lo)) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-size=\"12\">"
        svg += "<text x=\"\(Int(left))\" y=\"18\" font-weight=\"bold\">\(HTMLReport.escape(title))</text>"
        for k in 0 ... 4 {
            let v = lo + (hi - lo) * Double(k) / 4
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotW)\" y1=\"\(y(v))\" y2=\"\(y(v))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y(v) + 4)\" text-anchor=\"end\">\(format(v))</text>"
        }
        let groupW = plotW / Double(max(groups.count, 1))
        let boxW = min(40, groupW / Double(series.count + 1))
        for (g, group) in groups.enumerated() {
            let gx = left + groupW * Double(g)
            svg += "<text x=\"\(gx + groupW / 2)\" y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(HTMLReport.escape(group))</text>"
            for (s, _) in series.enumerated() {
                let v = values[g][s].filter(\.isFinite).sorted()
                guard !v.isEmpty else { continue }
                func q(_ p: Double) -> Double {
                    let pos = p * Double(v.count - 1), i = Int(pos), f = pos - Double(i)
                    return v[i] + (v[min(i + 1, v.count - 1)] - v[i]) * f
                }
                let q1 = q(0.25), med = q(0.5), q3 = q(0.75), iqr = q3 - q1
                let wLo = v.first { $0 >= q1 - 1.5 * iqr } ?? v[0], wHi = v.last { $0 <= q3 + 1.5 * iqr } ?? v[v.count - 1]
                let cx = gx + groupW * Double(s + 1) / Double(series.count + 1), color = palette[s % palette.count]
                svg += "<line x1=\"\(cx)\" x2=\"\(cx)\" y1=\"\(y(wLo))\" y2=\"\(y(wHi))\" stroke=\"\(color)\"/>"
                svg += "<rect x=\"\(cx - boxW / 2)\" y=\"\(y(q3))\" width=\"\(boxW)\" height=\"\(max(y(q1) - y(q3), 1))\" fill=\"\(color)\" fill-opacity=\"0.35\" stroke=\"\(color)\"/>"
                svg += "<line x1=\"\(cx - boxW / 2)\" x2=\"\(cx + boxW / 2)\" y1=\"\(y(med))\" y2=\"\(y(med))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
                for o in v where o < wLo || o > wHi {
                    svg += "<circle cx=\"\(cx)\" cy=\"\(y(o))\" r=\"2\" fill=\"\(color)\"/>"
                }
            }
        }
        for (s, name) in series.enumerated() {
            let lx = left + Double(s) * 130
            svg += "<rect x=\"\(lx)\" y=\"\(Double(height) - 18)\" width=\"12\" height=\"12\" fill=\"\(palette[s % palette.count])\"/>"
            svg += "<text x=\"\(lx + 16)\" y=\"\(Double(height) - 8)\">\(HTMLReport.escape(name))</text>"
        }
        return svg + "</svg>"
    }

    /// Overlaid histograms (one per series) over a shared range, `bins` bins.
    public static func histogram(title: String, series: [String], values: [[Double]], bins: Int = 30,
                                 width: Int = 760, height: Int = 260) -> String {
        let all = values.flatMap { $0.filter(\.isFinite) }
        guard let lo = all.min(), let hi0 = all.max() else { return "<svg width=\"\(width)\" height=\"40\"><text x=\"10\" y=\"25\">no data</text></svg>" }
        let hi = hi0 > lo ? hi0 : lo + 1e-6
        let counts = values.map { v -> [Int] in
            var c = [Int](repeating: 0, count: bins)
            for x in v where x.isFinite { c[min(bins - 1, Int(Double(bins) * (x - lo) / (hi - lo)))] += 1 }
            return c
        }
        let top = Double(counts.flatMap { $0 }.max() ?? 1)
        let left = 50.0, right = 20.0, topPad = 30.0, bottom = 50.0
        let plotW = Double(width) - left - right, plotH = Double(height) - topPad - bottom
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-size=\"12\">"
        svg += "<text x=\"\(Int(left))\" y=\"18\" font-weight=\"bold\">\(HTMLReport.escape(title))</text>"
        let bw = plotW / Double(bins)
        for (s, c) in counts.enumerated() {
            let color = palette[s % palette.count]
            for (b, n) in c.enumerated() where n > 0 {
                let h = plotH * Double(n) / top
                svg += "<rect x=\"\(left + bw * Double(b))\" y=\"\(topPad + plotH - h)\" width=\"\(bw)\" height=\"\(h)\" fill=\"\(color)\" fill-opacity=\"0.45\" stroke=\"\(color)\"/>"
            }
        }
        for k in 0 ... 4 {
            let v = lo + (hi - lo) * Double(k) / 4
            svg += "<text x=\"\(left + plotW * Double(k) / 4)\" y=\"\(topPad + plotH + 16)\" text-anchor=\"middle\">\(format(v))</text>"
        }
        svg += "<text x=\"\(left - 6)\" y=\"\(topPad + 4)\" text-anchor=\"end\">\(Int(top))</text>"
        for (s, name) in series.enumerated() {
            let lx = left + Double(s) * 130
            svg += "<rect x=\"\(lx)\" y=\"\(Double(height) - 18)\" width=\"12\" height=\"12\" fill=\"\(palette[s % palette.count])\"/>"
            svg += "<text x=\"\(lx + 16)\" y=\"\(Double(height) - 8)\">\(HTMLReport.escape(name))</text>"
        }
        return svg + "</svg>"
    }
}

extension SVGPlot {
    /// Line plot of several series over a shared x axis (e.g. loss and PSNR against step).
    public static func lines(title: String, x: [Double], series: [(name: String, y: [Double])], logY: Bool = false,
                             width: Int = 760, height: Int = 260) -> String {
        let ys = series.flatMap { $0.y.filter { $0.isFinite && (!logY || $0 > 0) } }
        guard let x0 = x.first, let x1 = x.last, let lo0 = ys.min(), let hi0 = ys.max() else {
            return "<svg width=\"\(width)\" height=\"40\"><text x=\"10\" y=\"25\">no data</text></svg>"
        }
        let t: (Double) -> Double = logY ? { log10($0) } : { $0 }
        let lo = t(lo0), hi = t(hi0) > t(lo0) ? t(hi0) : t(lo0) + 1e-9
        let left = 60.0, right = 20.0, top = 30.0, bottom = 50.0
        let pw = Double(width) - left - right, ph = Double(height) - top - bottom
        func px(_ v: Double) -> Double { left + pw * (x1 > x0 ? (v - x0) / (x1 - x0) : 0) }
        func py(_ v: Double) -> Double { top + ph * (1 - (t(v) - lo) / (hi - lo)) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-size=\"12\">"
        svg += "<text x=\"\(Int(left))\" y=\"18\" font-weight=\"bold\">\(HTMLReport.escape(title))</text>"
        for k in 0 ... 4 {
            let v = lo + (hi - lo) * Double(k) / 4, y = top + ph * (1 - Double(k) / 4)
            svg += "<line x1=\"\(left)\" x2=\"\(left + pw)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(format(logY ? pow(10, v) : v))</text>"
        }
        svg += "<text x=\"\(left)\" y=\"\(top + ph + 16)\">\(format(x0))</text><text x=\"\(left + pw)\" y=\"\(top + ph + 16)\" text-anchor=\"end\">\(format(x1))</text>"
        for (s, line) in series.enumerated() {
            let pts = zip(x, line.y).filter { $0.1.isFinite && (!logY || $0.1 > 0) }.map { "\(px($0.0)),\(py($0.1))" }
            guard !pts.isEmpty else { continue }
            svg += "<polyline fill=\"none\" stroke=\"\(palette[s % palette.count])\" stroke-width=\"1.5\" points=\"\(pts.joined(separator: " "))\"/>"
            let lx = left + Double(s) * 160
            svg += "<rect x=\"\(lx)\" y=\"\(Double(height) - 18)\" width=\"12\" height=\"12\" fill=\"\(palette[s % palette.count])\"/>"
            svg += "<text x=\"\(lx + 16)\" y=\"\(Double(height) - 8)\">\(HTMLReport.escape(line.name))</text>"
        }
        return svg + "</svg>"
    }
}
