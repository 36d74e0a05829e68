public import MedImage
import Foundation
import MedKernels

/// The structural similarity index (Wang, Bovik, Sheikh & Simoncelli 2004), computed exactly as
/// `skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, data_range=R)` does: Gaussian weights of radius 5 (11 taps,
/// σ = 1.5, scipy's kernel), image borders mirrored (scipy's `reflect`), population
/// covariances, C1 = (K1 R)², C2 = (K2 R)², and the mean taken over the map without its
/// 5-pixel border. Equal to scikit-image within 1e-5 on float data, map included.
///
/// Speed: blocks of rows × about 64 columns run on all cores; in each, one fused pass filters
/// the five local moments horizontally into a ring of rows that stays in L1 (eight outputs from
/// three aligned vector loads, the shifted windows made in registers), then vertically, two
/// output rows per pass, and into the SSIM formula (`Kernels.ssimBlock`, C compiled for AVX-512,
/// for AVX2 + FMA and for baseline x86-64, the best copy chosen at run time: Swift cannot
/// select instruction sets per function). Double precision: in single precision the variance
/// terms (E[x²] − E[x]²) lose up to 5e-5 to cancellation on 8-bit data (scikit-image's own
/// float32 path does), more than the 1e-5 this metric promises; the data are also shifted by
/// their common mean first.
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
        let shift = (Self.sum(x.values) + Self.sum(y.values)) / Double(2 * x.values.count)
        let cc1 = (k1 * dataRange) * (k1 * dataRange), cc2 = (k2 * dataRange) * (k2 * dataRange)
        let bands = max(1, min(threads, rows / 64))
        let bandRows = (rows + bands - 1) / bands
        // Strips of about 64 columns keep each job's ring of filtered rows in L1 (30 KiB).
        let strips = max(1, (cols + 63) / 64)
        // A multiple of 8, the kernel's vector width (only the last strip has a scalar tail).
        let stripColumns = ((cols + strips - 1) / strips + 7) & ~7
        // Every element of the map is written by exactly one block.
        var map = wantMap ? [Float](unsafeUninitializedCapacity: rows * cols) { _, n in n = rows * cols } : []
        // One slot per job (each job writes only its own), read after all jobs are done.
        var sums = [Double](repeating: 0, count: bands * strips)
        let pad = Self.radius
        x.values.withUnsafeBufferPointer { xs in
            y.values.withUnsafeBufferPointer { ys in
                map.withUnsafeMutableBufferPointer { mapOut in
                  sums.withUnsafeMutableBufferPointer { slots in
                    let inputs = Pointers(x: xs.baseAddress!, y: ys.baseAddress!, map: wantMap ? mapOut.baseAddress : nil,
                                          sums: slots.baseAddress!)
                    parallelFor(bands * strips, workers: bands) { job, _ in
                        let band = job / strips, strip = job % strips
                        let r0 = band * bandRows, r1 = min(rows, r0 + bandRows)
                        let c0 = strip * stripColumns, c1 = min(cols, c0 + stripColumns)
                        guard r0 < r1 && c0 < c1 else { return }
                        let sum = Self.weights.withUnsafeBufferPointer { w in
                            Kernels.ssimBlock(inputs.x, inputs.y, rows: rows, columns: cols, r0: r0, r1: r1, c0: c0, c1: c1,
                                              weights: w.baseAddress!, shift: shift, c1: cc1, c2: cc2, map: inputs.map,
                                              vr0: pad, vr1: rows - pad, vc0: pad, vc1: cols - pad)
                        }
                        inputs.sums[job] = sum
                    }
                  }
                }
            }
        }
        let total = sums.reduce(0, +)
        // A block returns −∞ when it cannot get its few KiB of scratch memory.
        guard total != -.infinity else { throw MetricsError("SSIM: out of memory for the filter buffers") }
        let valid = Double((rows - 2 * pad) * (cols - 2 * pad))
        let mean = valid > 0 ? total / valid : .nan
        return Result(mean: mean, map: wantMap ? Plane(rows: rows, columns: cols, values: map) : nil)
    }
}

extension SSIM {
    /// The sum of `values` in four running sums of eight double-precision lanes (one running
    /// sum is one dependent add per eight values, and this runs before the parallel part).
    static func sum(_ values: [Float]) -> Double {
        values.withUnsafeBufferPointer { v in
            var a = SIMD8<Double>(), b = SIMD8<Double>(), c = SIMD8<Double>(), d = SIMD8<Double>()
            let raw = UnsafeRawPointer(v.baseAddress!)
            var i = 0
            while i + 32 <= v.count {
                a += SIMD8<Double>(raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
                b += SIMD8<Double>(raw.loadUnaligned(fromByteOffset: 4 * (i + 8), as: SIMD8<Float>.self))
                c += SIMD8<Double>(raw.loadUnaligned(fromByteOffset: 4 * (i + 16), as: SIMD8<Float>.self))
                d += SIMD8<Double>(raw.loadUnaligned(fromByteOffset: 4 * (i + 24), as: SIMD8<Float>.self))
                i += 32
            }
            var total = ((a + b) + (c + d)).sum()
            while i < v.count {
                total += Double(v[i])
                i += 1
            }
            return total
        }
    }
}

/// The images, the map and the sums handed to the blocks (each block reads both images and
/// writes only its own part of the map and its own sum).
private struct Pointers: @unchecked Sendable {
    let x: UnsafePointer<Float>
    let y: UnsafePointer<Float>
    let map: UnsafeMutablePointer<Float>?
    let sums: UnsafeMutablePointer<Double>
}
