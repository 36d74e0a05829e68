import MedKernels
import Foundation

/// Antialiased bicubic resizing that reproduces Pillow's `Image.resize(size, Image.BICUBIC)`:
/// Keys' cubic with a = −0.5, support widened by the shrink factor, weights normalised per
/// output pixel, the horizontal pass first, then the vertical one. For 8-bit samples the
/// weights are 22-bit fixed point and the intermediate image is rounded and clipped to 8 bits
/// exactly as Pillow does (bit-exact); 16-bit samples use double weights and round and clip
/// the intermediate to 16 bits; float samples are not rounded. This is MedSR's one
/// degradation: the dataset's LR tiles, the bicubic baseline and evaluation all use it.
public enum Resample {
    /// Pillow's bicubic kernel (a = −0.5), support 2.
    @inlinable
    static func cubic(_ t: Double) -> Double {
        let a = -0.5, x = abs(t)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Per output position: the first input index and the normalised weights (Pillow's
    /// `precompute_coeffs`, including its truncating conversions).
    struct Coefficients {
        var first: [Int]
        var count: [Int]
        /// `outSize × taps` weights, row per output position.
        var weights: [Double]
        var taps: Int

        init(inSize: Int, outSize: Int) {
            let scale = Double(inSize) / Double(outSize)
            let filterScale = max(scale, 1)
            let support = 2.0 * filterScale
            taps = Int(support.rounded(.up)) * 2 + 1
            first = Array(repeating: 0, count: outSize)
            count = Array(repeating: 0, count: outSize)
            weights = Array(repeating: 0, count: outSize * taps)
            for out in 0 ..< outSize {
                let center = (Double(out) + 0.5) * scale
                let ss = 1 / filterScale
                let lo = max(Int(center - support + 0.5), 0)          // C's (int) truncates toward zero
                let hi = min(Int(center + support + 0.5), inSize)
                var sum = 0.0
                for i in 0 ..< hi - lo {
                    let w = cubic((Double(i + lo) - center + 0.5) * ss)
                    weights[out * taps + i] = w
                    sum += w
                }
                if sum != 0 { for i in 0 ..< hi - lo { weights[out * taps + i] /= sum } }
                first[out] = lo
                count[out] = hi - lo
            }
        }

        /// The coefficients of one size pair, with their 8-bit fixed-point weights, computed once
        /// (a dataset build resizes thousands of tiles of the same size).
        static func shared(inSize: Int, outSize: Int) -> (Coefficients, [Int32]) {
            let key = SIMD2(inSize, outSize)
            cacheLock.lock()
            let known = cache[key]
            cacheLock.unlock()
            if let known { return known }
            let c = Coefficients(inSize: inSize, outSize: outSize)
            let made = (c, c.fixedPoint().map { Int32(truncatingIfNeeded: $0) })
            cacheLock.lock()
            if cache.count >= 64 { cache.removeAll() }
            cache[key] = made
            cacheLock.unlock()
            return made
        }

        // `cache` is guarded by `cacheLock` (a pthread mutex, which ThreadSanitizer follows).
        private static let cacheLock = NSLock()
        nonisolated(unsafe) private static var cache: [SIMD2<Int>: (Coefficients, [Int32])] = [:]

        /// Pillow's `normalize_coeffs_8bpc`: weights in 22-bit fixed point, rounded away from zero.
        func fixedPoint() -> [Int] {
            weights.map { w in
                let scaled = w * Double(1 << Resample.precisionBits)
                return Int(w < 0 ? (scaled - 0.5).rounded(.towardZero) : (scaled + 0.5).rounded(.towardZero))
            }
        }
    }

    static let precisionBits = 32 - 8 - 2

    /// Resizes a single-frame image to `columns × rows`.
    /// - Precondition: `pixels.frames == 1`, target sides ≥ 1.
    public static func bicubic(_ pixels: PixelArray, columns: Int, rows: Int) -> PixelArray {
        precondition(pixels.frames == 1 && columns >= 1 && rows >= 1)
        let spp = pixels.samplesPerPixel
        let (h, hFixed) = Coefficients.shared(inSize: pixels.columns, outSize: columns)
        let (v, vFixed) = Coefficients.shared(inSize: pixels.rows, outSize: rows)
        let needH = columns != pixels.columns, needV = rows != pixels.rows
        // Both passes read `pixels.rows` input rows; the vertical pass reads the horizontal one's columns.
        let r = pixels.rows
        func run<T>(_ input: [T], _ pass: ([T], Int, Coefficients, Bool) -> [T]) -> [T] {
            var data = input
            if needH { data = pass(data, pixels.columns, h, true) }
            if needV { data = pass(data, needH ? columns : pixels.columns, v, false) }
            return data
        }
        let samples: Samples
        switch pixels.samples {
        case .uint8(let a):
            samples = .uint8(run(a) { data, inCols, c, horizontal in
                fixedPass8(data, rows: r, columns: inCols, spp: spp, c, horizontal ? hFixed : vFixed, horizontal: horizontal)
            })
        case .uint16(let a):
            samples = .uint16(run(a) { data, inCols, c, horizontal in
                doublePass(data, rows: r, columns: inCols, spp: spp, c, horizontal: horizontal,
                           store: { UInt16(min(max($0.rounded(), 0), 65535)) }, load: Double.init)
            })
        case .int16(let a):
            samples = .int16(run(a) { data, inCols, c, horizontal in
                doublePass(data, rows: r, columns: inCols, spp: spp, c, horizontal: horizontal,
                           store: { Int16(min(max($0.rounded(), -32768), 32767)) }, load: Double.init)
            })
        default:
            samples = .float32(run(pixels.samples.floats()) { data, inCols, c, horizontal in
                doublePass(data, rows: r, columns: inCols, spp: spp, c, horizontal: horizontal,
                           store: { Float($0) }, load: Double.init)
            })
        }
        return PixelArray(rows: rows, columns: columns, samplesPerPixel: spp, samples: samples)
    }

    /// One 8-bit pass, Pillow's `ImagingResample{Horizontal,Vertical}_8bpc` arithmetic (22-bit
    /// weights, 32-bit wrapping sums, the same rounding and clipping). Horizontal: `rows × columns`
    /// in, `rows × outSize` out; vertical: `rows × columns` in, `outSize × columns` out. The
    /// horizontal pass transposes so that both run as contiguous, vectorisable row sums.
    static func fixedPass8(_ input: [UInt8], rows: Int, columns: Int, spp: Int, _ c: Coefficients, _ k: [Int32],
                           horizontal: Bool) -> [UInt8] {
        if !horizontal {
            return rowSums8(input, lines: rows, width: columns * spp, c, k)
        }
        let t = transpose(input, rows: rows, columns: columns, spp: spp)          // columns × (rows·spp)
        let summed = rowSums8(t, lines: columns, width: rows * spp, c, k)          // outSize × (rows·spp)
        return transpose(summed, rows: c.first.count, columns: rows, spp: spp)    // rows × outSize
    }

    /// `out[o] = clip8(½ + Σᵢ k[o,i] · in[first[o] + i])`, each line a contiguous row of `width`
    /// samples (`Kernels.rowSums8`: C, compiled for AVX-512 and AVX2 and chosen at run time, since 32-bit
    /// multiplies are not in baseline x86-64's vector set and Swift cannot select it per function).
    static func rowSums8(_ input: [UInt8], lines: Int, width: Int, _ c: Coefficients, _ k: [Int32]) -> [UInt8] {
        let outSize = c.first.count
        precondition(zip(c.first, c.count).allSatisfy { $0 >= 0 && $0 + $1 <= lines } && k.count >= outSize * c.taps)
        return [UInt8](unsafeUninitializedCapacity: outSize * width) { dst, n in
            n = outSize * width
            input.withUnsafeBufferPointer { src in
                c.first.withUnsafeBufferPointer { first in
                    c.count.withUnsafeBufferPointer { count in
                        k.withUnsafeBufferPointer { w in
                            Kernels.rowSums8(src, width: width, first: first, count: count, weights: w, taps: c.taps, into: dst)
                        }
                    }
                }
            }
        }
    }

    /// Swaps rows and columns of an interleaved image (`spp` samples stay together).
    static func transpose(_ input: [UInt8], rows: Int, columns: Int, spp: Int) -> [UInt8] {
        if spp == 1 { return transpose1(input, rows: rows, columns: columns) }
        var out = [UInt8](repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                // Blocks of 32×32 keep both sides in cache.
                for r0 in Swift.stride(from: 0, to: rows, by: 32) {
                    for c0 in Swift.stride(from: 0, to: columns, by: 32) {
                        for r in r0 ..< min(r0 + 32, rows) {
                            for col in c0 ..< min(c0 + 32, columns) {
                                for s in 0 ..< spp { dst[(col * rows + r) * spp + s] = src[(r * columns + col) * spp + s] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// `transpose` for one sample per pixel (`Kernels.transpose`: 16×16 blocks in SSE2 registers).
    static func transpose1(_ input: [UInt8], rows: Int, columns: Int) -> [UInt8] {
        precondition(input.count == rows * columns)
        return [UInt8](unsafeUninitializedCapacity: input.count) { dst, count in
            input.withUnsafeBufferPointer { src in Kernels.transpose(src.baseAddress, rows: rows, columns: columns, into: dst.baseAddress) }
            count = input.count
        }
    }

    /// One pass in double precision; `store` rounds and clips to the sample type.
    static func doublePass<T>(_ input: [T], rows: Int, columns: Int, spp: Int, _ c: Coefficients, horizontal: Bool,
                              store: (Double) -> T, load: (T) -> Double) -> [T] {
        let taps = c.taps, outSize = c.first.count
        if horizontal {
            var out = [T]()
            out.reserveCapacity(rows * outSize * spp)
            for r in 0 ..< rows {
                let row = r * columns * spp
                for o in 0 ..< outSize {
                    for s in 0 ..< spp {
                        var acc = 0.0
                        for i in 0 ..< c.count[o] { acc += load(input[row + (c.first[o] + i) * spp + s]) * c.weights[o * taps + i] }
                        out.append(store(acc))
                    }
                }
            }
            return out
        }
        let width = columns * spp
        var out = [T]()
        out.reserveCapacity(outSize * width)
        var acc = [Double](repeating: 0, count: width)
        for o in 0 ..< outSize {
            for j in 0 ..< width { acc[j] = 0 }
            for i in 0 ..< c.count[o] {
                let w = c.weights[o * taps + i], row = (c.first[o] + i) * width
                for j in 0 ..< width { acc[j] += load(input[row + j]) * w }
            }
            for j in 0 ..< width { out.append(store(acc[j])) }
        }
        return out
    }
}

extension Resample {
    /// Nearest-neighbour enlargement (for showing LR tiles beside HR ones, never for metrics).
    public static func nearest(_ pixels: PixelArray, columns: Int, rows: Int) -> PixelArray {
        let spp = pixels.samplesPerPixel
        var order = [Int]()
        order.reserveCapacity(rows * columns * spp)
        for y in 0 ..< rows {
            let sy = min(y * pixels.rows / rows, pixels.rows - 1)
            for x in 0 ..< columns {
                let sx = min(x * pixels.columns / columns, pixels.columns - 1)
                for s in 0 ..< spp { order.append((sy * pixels.columns + sx) * spp + s) }
            }
        }
        return PixelArray(rows: rows, columns: columns, samplesPerPixel: spp, samples: pixels.frame(0).samples.gathered(order))
    }
}
