public import MedImage
import Dispatch
import Foundation
import Synchronization

/// The structural similarity index (Wang, Bovik, Sheikh & Simoncelli 2004), computed exactly as
/// `skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, data_range=R)` does: Gaussian weights of radius 5 (11 taps,
/// σ = 1.5, scipy's kernel), image borders mirrored (scipy's `reflect`), population
/// covariances, C1 = (K1 R)², C2 = (K2 R)², and the mean taken over the map without its
/// 5-pixel border. Equal to scikit-image within 1e-5 on float data, map included.
///
/// Speed: one fused pass per band of rows (bands run on all cores): the five local moments
/// are filtered separably with SIMD, horizontally into a ring of 11 rows, then vertically and
/// straight into the SSIM formula. The data are first shifted by their common mean (variances
/// and covariance do not change), which keeps single precision from cancelling.
public struct SSIM: Sendable {
    /// The dynamic range R of the data (255 for 8-bit, 4095 for 12-bit, 1 for [0, 1] floats).
    public var dataRange: Double
    public var k1 = 0.01
    public var k2 = 0.03
    /// Worker threads (bands of rows); 1 for a single thread.
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    public static let sigma = 1.5
    public static let radius = 5
    public static let window = 2 * radius + 1

    public init(dataRange: Double) { self.dataRange = dataRange }

    public struct Result: Sendable {
        /// Mean SSIM over the map without its `radius`-pixel border (scikit-image's `mssim`).
        public var mean: Double
        /// The full map (`rows × columns`), when asked for.
        public var map: Plane?
    }

    /// scipy's `_gaussian_kernel1d(1.5, 0, 5)`: weights for offsets 0…5 (symmetric).
    static let weights: [Double] = {
        let raw = (0 ... radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = raw[0] + 2 * raw.dropFirst().reduce(0, +)
        return raw.map { $0 / total }
    }()

    /// SSIM of two planes of the same shape.
    /// - Throws: when the shapes differ, a side is shorter than the 11-pixel window, or R ≤ 0.
    public func compute(_ x: Plane, _ y: Plane, map wantMap: Bool = false) throws -> Result {
        try Fidelity.checkSameShape(x, y)
        guard x.rows >= Self.window, x.columns >= Self.window else {
            throw MetricsError("SSIM needs images of at least \(Self.window)×\(Self.window) pixels, got \(x.columns)×\(x.rows)")
        }
        guard dataRange > 0, dataRange.isFinite else { throw MetricsError("data range must be positive, got \(dataRange)") }
        let rows = x.rows, cols = x.columns
        var total = 0.0
        x.values.withUnsafeBufferPointer { a in y.values.withUnsafeBufferPointer { b in
            for i in 0 ..< a.count { total += Double(a[i]) + Double(b[i]) }
        } }
        let shift = total / Double(2 * x.values.count)
        let c1 = (k1 * dataRange) * (k1 * dataRange), c2 = (k2 * dataRange) * (k2 * dataRange)
        let bands = max(1, min(threads, rows / 64))
        let bandRows = (rows + bands - 1) / bands
        var map = wantMap ? [Float](repeating: 0, count: rows * cols) : []
        let sums = Mutex([Double](repeating: 0, count: bands))
        let pad = Self.radius
        x.values.withUnsafeBufferPointer { xs in
            y.values.withUnsafeBufferPointer { ys in
                map.withUnsafeMutableBufferPointer { mapOut in
                    let kernel = SSIMKernel(x: xs.baseAddress!, y: ys.baseAddress!, rows: rows, columns: cols,
                                            shift: shift, c1: c1, c2: c2,
                                            map: wantMap ? mapOut.baseAddress : nil)
                    DispatchQueue.concurrentPerform(iterations: bands) { band in
                        let r0 = band * bandRows, r1 = min(rows, r0 + bandRows)
                        let sum = r0 < r1 ? kernel.run(rows: r0 ..< r1, validRows: pad ..< rows - pad) : 0
                        sums.withLock { $0[band] = sum }
                    }
                }
            }
        }
        let valid = Double((rows - 2 * pad) * (cols - 2 * pad))
        let mean = valid > 0 ? sums.withLock { $0.reduce(0, +) } / valid : .nan
        return Result(mean: mean, map: wantMap ? Plane(rows: rows, columns: cols, values: map) : nil)
    }
}

/// The fused SSIM pass over a band of rows (pointers are only read, or written per row, by
/// one band each).
struct SSIMKernel: @unchecked Sendable {
    let x: UnsafePointer<Float>
    let y: UnsafePointer<Float>
    let rows: Int
    let columns: Int
    let shift: T
    let c1: T
    let c2: T
    let map: UnsafeMutablePointer<Float>?

    /// Double precision: in single precision the variance terms (E[x²] − E[x]²) lose up to
    /// 5e-5 to cancellation on 8-bit data (scikit-image's own float32 path does), more than
    /// the 1e-5 this metric promises.
    typealias T = Double
    typealias V = SIMD4<Double>

    @inline(__always) static func load(_ p: UnsafePointer<T>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<T>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
    }

    /// scipy's `reflect` boundary: … c b a | a b c … (half-sample symmetric).
    @inline(__always) static func reflect(_ i: Int, _ n: Int) -> Int {
        i < 0 ? -i - 1 : (i >= n ? 2 * n - i - 1 : i)
    }

    /// Computes rows `band` of the map; returns the sum of SSIM over the band's pixels that lie
    /// in `validRows` and in the valid columns.
    func run(rows band: Range<Int>, validRows: Range<Int>) -> Double {
        let n = columns, r = SSIM.radius, taps = SSIM.window
        let w = SSIM.weights
        // Ring of 11 horizontally filtered rows × 5 moments; products of one source row.
        let ring = UnsafeMutablePointer<T>.allocate(capacity: taps * 5 * n)
        let products = UnsafeMutablePointer<T>.allocate(capacity: 5 * n)
        let line = UnsafeMutablePointer<T>.allocate(capacity: n + 8)
        defer { ring.deallocate(); products.deallocate(); line.deallocate() }
        let first = band.lowerBound - r
        func slot(_ v: Int) -> UnsafeMutablePointer<T> { ring + ((v - first) % taps) * 5 * n }

        func horizontal(_ v: Int) {
            let src = Self.reflect(v, rows) * n
            let s = shift
            for j in 0 ..< n {
                let a = T(x[src + j]) - s, b = T(y[src + j]) - s
                products[j] = a
                products[n + j] = b
                products[2 * n + j] = a * a
                products[3 * n + j] = b * b
                products[4 * n + j] = a * b
            }
            let out = slot(v)
            for m in 0 ..< 5 {
                let p = products + m * n, o = out + m * n
                var j = 0
                while j < r {  // left border, mirrored
                    var acc = w[0] * p[j]
                    for k in 1 ... r { acc += w[k] * (p[Self.reflect(j - k, n)] + p[Self.reflect(j + k, n)]) }
                    o[j] = acc
                    j += 1
                }
                let w0 = V(repeating: w[0]), w1 = V(repeating: w[1]), w2 = V(repeating: w[2])
                let w3 = V(repeating: w[3]), w4 = V(repeating: w[4]), w5 = V(repeating: w[5])
                while j + V.scalarCount <= n - r {
                    var acc = w0 * Self.load(p, j)
                    acc += w1 * (Self.load(p, j - 1) + Self.load(p, j + 1))
                    acc += w2 * (Self.load(p, j - 2) + Self.load(p, j + 2))
                    acc += w3 * (Self.load(p, j - 3) + Self.load(p, j + 3))
                    acc += w4 * (Self.load(p, j - 4) + Self.load(p, j + 4))
                    acc += w5 * (Self.load(p, j - 5) + Self.load(p, j + 5))
                    Self.store(acc, o, j)
                    j += V.scalarCount
                }
                while j < n {  // the rest and the right border
                    var acc = w[0] * p[j]
                    for k in 1 ... r { acc += w[k] * (p[Self.reflect(j - k, n)] + p[Self.reflect(j + k, n)]) }
                    o[j] = acc
                    j += 1
                }
            }
        }

        for v in first ..< band.lowerBound + r { horizontal(v) }
        var bandSum = 0.0
        let s = V(repeating: shift), vc1 = V(repeating: c1), vc2 = V(repeating: c2), two = V(repeating: 2)
        let w0 = V(repeating: w[0]), w1 = V(repeating: w[1]), w2 = V(repeating: w[2])
        let w3 = V(repeating: w[3]), w4 = V(repeating: w[4]), w5 = V(repeating: w[5])
        for row in band {
            horizontal(row + r)
            let rowsAt = (-r ... r).map { slot(row + $0) }
            // The 11 ring rows, as plain pointers (no array access in the hot loop).
            let q0 = UnsafePointer(rowsAt[0]), q1 = UnsafePointer(rowsAt[1]), q2 = UnsafePointer(rowsAt[2])
            let q3 = UnsafePointer(rowsAt[3]), q4 = UnsafePointer(rowsAt[4]), q5 = UnsafePointer(rowsAt[5])
            let q6 = UnsafePointer(rowsAt[6]), q7 = UnsafePointer(rowsAt[7]), q8 = UnsafePointer(rowsAt[8])
            let q9 = UnsafePointer(rowsAt[9]), q10 = UnsafePointer(rowsAt[10])
            @inline(__always) func vertical(_ o: Int) -> V {
                var acc = w0 * Self.load(q5, o)
                acc += w1 * (Self.load(q4, o) + Self.load(q6, o))
                acc += w2 * (Self.load(q3, o) + Self.load(q7, o))
                acc += w3 * (Self.load(q2, o) + Self.load(q8, o))
                acc += w4 * (Self.load(q1, o) + Self.load(q9, o))
                acc += w5 * (Self.load(q0, o) + Self.load(q10, o))
                return acc
            }
            var j = 0
            while j + V.scalarCount <= n {
                let ux = vertical(j), uy = vertical(n + j), uxx = vertical(2 * n + j)
                let uyy = vertical(3 * n + j), uxy = vertical(4 * n + j)
                let mx = ux + s, my = uy + s
                let vx = uxx - ux * ux, vy = uyy - uy * uy, vxy = uxy - ux * uy
                let a1 = two * mx * my + vc1, a2 = two * vxy + vc2
                let b1 = mx * mx + my * my + vc1, b2 = vx + vy + vc2
                Self.store((a1 * a2) / (b1 * b2), line, j)
                j += V.scalarCount
            }
            while j < n {  // scalar tail
                var m5 = [T](repeating: 0, count: 5)
                for m in 0 ..< 5 {
                    let o = m * n + j
                    var acc = w[0] * rowsAt[5][o]
                    for k in 1 ... r { acc += w[k] * (rowsAt[5 - k][o] + rowsAt[5 + k][o]) }
                    m5[m] = acc
                }
                let mx = m5[0] + shift, my = m5[1] + shift
                let vx = m5[2] - m5[0] * m5[0], vy = m5[3] - m5[1] * m5[1], vxy = m5[4] - m5[0] * m5[1]
                line[j] = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
                j += 1
            }
            if let map { for k in 0 ..< n { map[row * n + k] = Float(line[k]) } }
            if validRows.contains(row) {
                var acc = V()
                var k = r
                while k + V.scalarCount <= n - r { acc += Self.load(line, k); k += V.scalarCount }
                var rowSum = acc.sum()
                while k < n - r { rowSum += line[k]; k += 1 }
                bandSum += rowSum
            }
        }
        return bandSum
    }
}
