import Foundation

/// The "editing-software sharpening" baseline: an unsharp mask on a float plane.
///
/// `out = x + amount · (x − G_σ * x)` wherever |x − G_σ * x| ≥ threshold, else x; clipped to
/// [0, maxValue]. G_σ is a Gaussian of σ = `radius` (truncated at 3σ, borders mirrored). The
/// defaults follow Pillow's `ImageFilter.UnsharpMask(radius=2, percent=150, threshold=3)`
/// (threshold in 8-bit levels, scaled with `maxValue` for other ranges); Pillow approximates
/// the Gaussian by box blurs, this uses the exact kernel.
public struct UnsharpMask: Sendable, Equatable {
    public var radius = 2.0
    public var amount = 1.5
    /// In 8-bit levels (scaled by maxValue / 255).
    public var threshold = 3.0

    public init() {}

    /// Sharpens a `rows × columns` plane of values in [0, maxValue].
    public func apply(_ values: [Float], rows: Int, columns: Int, maxValue: Double) -> [Float] {
        let blurred = Self.gaussian(values, rows: rows, columns: columns, sigma: radius)
        let t = Float(threshold * maxValue / 255), a = Float(amount), top = Float(maxValue)
        var out = values
        for i in out.indices {
            let d = values[i] - blurred[i]
            if abs(d) >= t { out[i] = min(max(values[i] + a * d, 0), top) }
        }
        return out
    }

    /// Separable Gaussian blur, radius ⌈3σ⌉, mirrored borders (… c b a | a b c …).
    public static func gaussian(_ values: [Float], rows: Int, columns: Int, sigma: Double) -> [Float] {
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var w = (-r ... r).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = w.reduce(0, +)
        w = w.map { $0 / total }
        func mirror(_ i: Int, _ n: Int) -> Int {
            var i = i
            while i < 0 || i >= n { i = i < 0 ? -i - 1 : 2 * n - i - 1 }
            return i
        }
        var tmp = [Float](repeating: 0, count: values.count)
        for y in 0 ..< rows {
            for x in 0 ..< columns {
                var acc = 0.0
                for k in -r ... r { acc += w[k + r] * Double(values[y * columns + mirror(x + k, columns)]) }
                tmp[y * columns + x] = Float(acc)
            }
        }
        var out = [Float](repeating: 0, count: values.count)
        for y in 0 ..< rows {
            for x in 0 ..< columns {
                var acc = 0.0
                for k in -r ... r { acc += w[k + r] * Double(tmp[mirror(y + k, rows) * columns + x]) }
                out[y * columns + x] = Float(acc)
            }
        }
        return out
    }
}
