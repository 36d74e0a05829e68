public import MedImage
import Foundation

/// Every number MedSR reports for one candidate image against its reference.
public struct Score: Sendable {
    public var psnr: Double
    public var ssim: Double
    public var mse: Double
    public var ssimMask: RegionValue?
    public var ssimBackground: RegionValue?
    /// The SSIM map (of the first plane), for reports.
    public var map: Plane?

    public init(psnr: Double, ssim: Double, mse: Double, ssimMask: RegionValue? = nil, ssimBackground: RegionValue? = nil,
                map: Plane? = nil) {
        self.psnr = psnr
        self.ssim = ssim
        self.mse = mse
        self.ssimMask = ssimMask
        self.ssimBackground = ssimBackground
        self.map = map
    }
}

public enum Scoring {
    /// Scores `candidate` against `reference` (same planes: one per channel, or one luma plane).
    /// PSNR and MSE over all planes; SSIM and masked SSIM averaged over planes.
    /// - Parameters:
    ///   - mask: `rows × columns`, nonzero inside; nil for none.
    ///   - keepMap: keep the first plane's SSIM map.
    public static func score(reference: [Plane], candidate: [Plane], dataRange: Double, mask: [UInt8]? = nil,
                             wholeWindows: Bool = false, keepMap: Bool = false, threads: Int = 1) throws -> Score {
        guard reference.count == candidate.count, !reference.isEmpty else {
            throw MetricsError("reference has \(reference.count) channels, candidate \(candidate.count)")
        }
        var ssim = SSIM(dataRange: dataRange)
        ssim.threads = threads
        var squared = 0.0, n = 0, ssimSum = 0.0
        var inside = [RegionValue](), outside = [RegionValue]()
        var map: Plane?
        for (r, c) in zip(reference, candidate) {
            squared += try Fidelity.mse(r, c) * Double(r.values.count)
            n += r.values.count
            if let mask {
                let m = try ssim.masked(r, c, mask: mask, wholeWindows: wholeWindows)
                ssimSum += m.whole
                inside.append(m.inside)
                outside.append(m.background)
                if keepMap && map == nil { map = m.map }
            } else {
                let result = try ssim.compute(r, c, map: keepMap && map == nil)
                ssimSum += result.mean
                if map == nil { map = result.map }
            }
        }
        let mse = squared / Double(n)
        func average(_ values: [RegionValue]) -> RegionValue? {
            guard let first = values.first else { return nil }
            if let undefined = values.first(where: { $0.value.isNaN }) { return undefined }
            return RegionValue(value: values.map(\.value).reduce(0, +) / Double(values.count), pixels: first.pixels, reason: nil)
        }
        return Score(psnr: mse == 0 ? .infinity : 10 * log10(dataRange * dataRange / mse), ssim: ssimSum / Double(reference.count),
                     mse: mse, ssimMask: average(inside), ssimBackground: average(outside), map: map)
    }

    /// Mean and standard deviation of `values` inside a mask (nonzero), in the units `toSource`
    /// maps stored values to (e.g. Hounsfield units through a tile's lo/hi).
    public static func maskStatistics(_ plane: Plane, mask: [UInt8], toSource: (Double) -> Double) -> (mean: Double, std: Double)? {
        var sum = 0.0, sq = 0.0, n = 0.0
        for i in plane.values.indices where mask[i] != 0 {
            let v = toSource(Double(plane.values[i]))
            sum += v
            sq += v * v
            n += 1
        }
        guard n > 0 else { return nil }
        let mean = sum / n
        return (mean, max(sq / n - mean * mean, 0).squareRoot())
    }
}
