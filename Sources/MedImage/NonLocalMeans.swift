import MedKernels

/// Non-local means (Buades, Coll & Morel 2005) in its fast, shift-outer form (Darbon et al. 2008;
/// Froment 2014), equal to scikit-image's
/// `denoise_nl_means(image, patch_size, patch_distance, h, sigma, fast_mode=True)` on float grey
/// images and on colour images with `channel_axis` (within 1e-6 on [0, 1] data; tested to 1e-4).
///
/// The contract is scikit-image's, quirks included: an even `patchSize` is made odd (+1); the
/// image is padded by `NumPy reflect` (edge not repeated); the distance of two patches is the
/// sum of squared differences over a `2·(patchSize/2)`-wide box (scikit-image's integral-image
/// lookup), less 2σ² per channel and sample, clamped at 0 and divided by channels·h²·patchSize²;
/// patches farther than 5 are dropped, the others weighted by Schraudolph's fast exponential
/// (scikit-image's `fast_exp`, a few per cent off `exp`); the pixel's own patch weighs fast_exp(0).
/// (scikit-image 0.26's code; releases before about 0.19 counted the own patch twice.)
/// `h` and `sigma` are in the image's value units. Work: (2·patchDistance + 1)² / 2 box-filtered
/// shifts per pixel, in double precision, in bands of rows over up to `workers` threads (the band
/// split is fixed, so the result does not depend on the thread count).
public struct NonLocalMeans: PlaneFilter, Equatable {
    public var patchSize: Int
    public var patchDistance: Int
    public var h: Double
    public var sigma: Double
    /// Output rows per parallel job.
    static let band = 32

    /// scikit-image's defaults: 7, 11, h = 0.1, σ = 0.
    public init(patchSize: Int = 7, patchDistance: Int = 11, h: Double = 0.1, sigma: Double = 0) {
        self.patchSize = patchSize
        self.patchDistance = patchDistance
        self.h = h
        self.sigma = sigma
    }

    public var name: String { "non-local means \(patchSize)/\(patchDistance)/\(h)" }

    public func apply(_ plane: Plane) -> Plane { apply([plane], workers: defaultWorkers)[0] }

    /// Denoises the channels of one image together (scikit-image's `channel_axis`): patch
    /// distances sum over the channels, each channel is averaged with the same weights.
    /// - Precondition: at least one plane, all of one shape; `patchSize ≥ 1`, `patchDistance ≥ 0`,
    ///   `h > 0`.
    public func apply(_ planes: [Plane], workers: Int = defaultWorkers) -> [Plane] {
        precondition(!planes.isEmpty && planes.allSatisfy { $0.rows == planes[0].rows && $0.columns == planes[0].columns },
                     "non-local means needs planes of one shape")
        precondition(patchSize >= 1 && patchDistance >= 0 && h > 0, "non-local means parameters out of range")
        let rows = planes[0].rows, cols = planes[0].columns, nch = planes.count
        guard rows > 0, cols > 0 else { return planes }
        let s = patchSize % 2 == 0 ? patchSize + 1 : patchSize
        let offset = s / 2, d = patchDistance, pad = offset + d + 1
        let pr = rows + 2 * pad, pc = cols + 2 * pad
        // Interleaved channels, in double (scikit-image pads after converting to float64).
        let channels = planes.map { $0.padded(by: pad, mode: .reflect) { Double($0) } }
        var padded = [Double](repeating: 0, count: pr * pc * nch)
        for (ch, plane) in channels.enumerated() {
            for i in 0 ..< pr * pc { padded[i * nch + ch] = plane[i] }
        }
        var out = [Float](repeating: 0, count: rows * cols * nch)
        let h2s2 = Double(nch) * h * h * Double(s * s), variance = sigma * sigma
        let bands = (rows + Self.band - 1) / Self.band
        padded.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let sp = SendableConstPointer(src.baseAddress!), dp = SendablePointer(dst.baseAddress!)
                parallelFor(bands, workers: workers) { b, _ in
                    let r0 = b * Self.band, r1 = min(rows, r0 + Self.band)
                    let ok = Kernels.nonLocalMeansRows(sp.pointer, paddedRows: pr, paddedColumns: pc, channels: nch, pad: pad, offset: offset,
                                                       distance: d, variance: variance, h2s2: h2s2, row0: r0, row1: r1, columns: cols, into: dp.pointer)
                    precondition(ok, "non-local means: out of memory")
                }
            }
        }
        return (0 ..< nch).map { ch in
            Plane(rows: rows, columns: cols, values: (0 ..< rows * cols).map { out[$0 * nch + ch] })
        }
    }
}
