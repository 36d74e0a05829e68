import MedKernels
import Foundation

/// A square blur kernel (odd side, row-major weights summing to 1) and its correlation with a
/// plane, borders `BorderMode.symmetric`. The kernels are symmetric through their centre, so
/// correlation and convolution agree.
public struct BlurKernel: Sendable, Equatable {
    /// The side, odd.
    public let side: Int
    /// `side × side` weights, row-major, summing to 1 (within rounding).
    public let weights: [Float]

    /// - Precondition: `side` odd, `weights.count == side²`, the weights sum to a positive value
    ///   (they are normalised here).
    public init(side: Int, weights: [Double]) {
        precondition(side >= 1 && side % 2 == 1 && weights.count == side * side, "blur kernel \(side)×\(side) with \(weights.count) weights")
        let total = weights.reduce(0, +)
        precondition(total > 0, "blur kernel weights sum to \(total)")
        self.side = side
        self.weights = weights.map { Float($0 / total) }
    }

    /// A Gaussian of standard deviation `sigma` pixels, radius ⌈3σ⌉ (at least 1).
    public static func gaussian(sigma: Double) -> BlurKernel {
        precondition(sigma > 0)
        let r = max(1, Int((3 * sigma).rounded(.up))), side = 2 * r + 1
        let g = (-r ... r).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        return BlurKernel(side: side, weights: (0 ..< side * side).map { g[$0 / side] * g[$0 % side] })
    }

    /// Defocus: a uniform disk of `radius` pixels, each pixel weighted by the fraction of its area
    /// inside the circle (16 × 16 sub-samples).
    public static func disk(radius: Double) -> BlurKernel {
        precondition(radius > 0)
        let r = Int(radius.rounded(.up)), side = 2 * r + 1, n = 16
        var w = [Double](repeating: 0, count: side * side)
        for y in 0 ..< side {
            for x in 0 ..< side {
                var inside = 0
                for sy in 0 ..< n {
                    for sx in 0 ..< n {
                        let dy = Double(y - r) + (Double(sy) + 0.5) / Double(n) - 0.5
                        let dx = Double(x - r) + (Double(sx) + 0.5) / Double(n) - 0.5
                        if dx * dx + dy * dy <= radius * radius { inside += 1 }
                    }
                }
                w[y * side + x] = Double(inside)
            }
        }
        if w.allSatisfy({ $0 == 0 }) { w[r * side + r] = 1 }
        return BlurKernel(side: side, weights: w)
    }

    /// Linear motion: a segment of `length` pixels through the centre at `angleDegrees`
    /// counter-clockwise from the +x (column) axis, rows pointing down; the segment is sampled
    /// every ¼ pixel and each sample spread bilinearly over its four pixels.
    public static func motion(length: Double, angleDegrees: Double) -> BlurKernel {
        precondition(length > 0)
        let r = max(1, Int((length / 2).rounded(.up))), side = 2 * r + 1
        let theta = angleDegrees * Double.pi / 180, dx = cos(theta), dy = -sin(theta)
        let samples = max(2, Int((4 * length).rounded(.up))) + 1
        var w = [Double](repeating: 0, count: side * side)
        for i in 0 ..< samples {
            let t = -length / 2 + length * Double(i) / Double(samples - 1)
            let x = Double(r) + t * dx, y = Double(r) + t * dy
            let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down)), fx = x - Double(x0), fy = y - Double(y0)
            for (yy, xx, f) in [(y0, x0, (1 - fx) * (1 - fy)), (y0, x0 + 1, fx * (1 - fy)),
                                (y0 + 1, x0, (1 - fx) * fy), (y0 + 1, x0 + 1, fx * fy)]
            where yy >= 0 && yy < side && xx >= 0 && xx < side {
                w[yy * side + xx] += f
            }
        }
        return BlurKernel(side: side, weights: w)
    }

    /// The plane blurred by this kernel, sums in double, on up to `workers` threads.
    public func apply(_ plane: Plane, workers: Int = defaultWorkers) -> Plane {
        guard side > 1, plane.rows > 0, plane.columns > 0 else { return plane }
        let half = side / 2, pc = plane.columns + 2 * half, cols = plane.columns, rows = plane.rows, k = side
        let padded = plane.padded(by: half, mode: .symmetric) { $0 }
        var out = [Float](repeating: 0, count: rows * cols)
        let band = 16, bands = (rows + band - 1) / band
        padded.withUnsafeBufferPointer { src in
            weights.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    let s = SendableConstPointer(src.baseAddress!), d = SendablePointer(dst.baseAddress!), kw = SendableConstPointer(w.baseAddress!)
                    parallelFor(bands, workers: workers) { b, _ in
                        let r0 = b * band, r1 = min(rows, r0 + band)
                        Kernels.convolveRows(s.pointer, paddedColumns: pc, kernel: kw.pointer, size: k, row0: r0, row1: r1, columns: cols, into: d.pointer)
                    }
                }
            }
        }
        return Plane(rows: rows, columns: cols, values: out)
    }
}
