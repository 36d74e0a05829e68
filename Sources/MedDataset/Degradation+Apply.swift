import Foundation
public import MedImage
import MedIO

extension Degradation {
    /// Degrades the channels of one tile (planes of one shape, values in [0, 1]).
    ///
    /// Deterministic: step k draws its noise from `SplitMix64(seed: derivedSeed(seed, tileIndex, k))`,
    /// the planes in order and each row-major, so the same (seed, tile index) gives the same
    /// values on every run and thread count, and different tiles get different noise.
    /// Blurs read outside the tile by mirroring (`BorderMode.symmetric`). `jpeg` compresses three
    /// planes as one RGB image and any other count plane by plane as grey.
    /// - Throws: `JPEGError` when libjpeg-turbo fails.
    public func apply(to planes: [Plane], seed: UInt64, tileIndex: Int) throws -> [Plane] {
        precondition(planes.allSatisfy { $0.rows == planes[0].rows && $0.columns == planes[0].columns },
                     "degradation needs planes of one shape")
        var current = planes
        for (k, step) in steps.enumerated() {
            var rng = SplitMix64(seed: SplitMix64.derivedSeed(seed, UInt64(bitPattern: Int64(tileIndex)), UInt64(k)))
            current = try step.apply(to: current, rng: &rng)
        }
        return current
    }
}

extension Degradation.Step {
    func apply(to planes: [Plane], rng: inout SplitMix64) throws -> [Plane] {
        switch self {
        case .gaussianBlur(let sigma): return planes.map { GaussianFilter(sigma: sigma).apply($0) }
        case .defocusBlur(let radius): return planes.map { BlurKernel.disk(radius: radius).apply($0) }
        case .motionBlur(let length, let angle):
            let kernel = BlurKernel.motion(length: length, angleDegrees: angle)
            return planes.map { kernel.apply($0) }
        case .downUpBlur(let factor): return planes.map { Self.downUp($0, factor: factor) }
        case .gaussianNoise(let sigma):
            let s = sigma / 255
            return noisy(planes) { x in x + s * rng.nextNormal() }
        case .poissonNoise(let scale):
            return noisy(planes) { x in rng.nextPoisson(mean: max(x, 0) * scale) / scale }
        case .ricianNoise(let sigma):
            let s = sigma / 255
            return noisy(planes) { x in
                let a = x + s * rng.nextNormal(), b = s * rng.nextNormal()
                return (a * a + b * b).squareRoot()
            }
        case .speckleNoise(let sigma):
            return noisy(planes) { x in x + x * sigma * rng.nextNormal() }
        case .jpeg(let quality): return try Self.jpeg(planes, quality: quality)
        }
    }

    /// Every sample through `f` (in double), clipped to [0, 1].
    private func noisy(_ planes: [Plane], _ f: (Double) -> Double) -> [Plane] {
        planes.map { p in
            Plane(rows: p.rows, columns: p.columns, values: p.values.map { Float(min(max(f(Double($0)), 0), 1)) })
        }
    }

    /// Shrinks by `factor` (sides rounded, at least 1) and enlarges back, both with `Resample.bicubic`.
    static func downUp(_ p: Plane, factor: Double) -> Plane {
        let small = (rows: max(1, Int((Double(p.rows) / factor).rounded())), columns: max(1, Int((Double(p.columns) / factor).rounded())))
        let pixels = PixelArray(rows: p.rows, columns: p.columns, samples: .float32(p.values))
        let down = Resample.bicubic(pixels, columns: small.columns, rows: small.rows)
        let up = Resample.bicubic(down, columns: p.columns, rows: p.rows)
        return Plane(rows: p.rows, columns: p.columns, values: up.samples.floats().map { min(max($0, 0), 1) })
    }

    static func jpeg(_ planes: [Plane], quality: Int) throws -> [Plane] {
        guard let first = planes.first else { return planes }
        let n = first.rows * first.columns
        func bytes(_ v: Float) -> UInt8 { UInt8(min(max((v * 255).rounded(), 0), 255)) }
        if planes.count == 3 {
            var rgb = [UInt8](repeating: 0, count: n * 3)
            for (ch, p) in planes.enumerated() { for i in 0 ..< n { rgb[i * 3 + ch] = bytes(p.values[i]) } }
            let out = try JPEGCodec.roundTrip(rgb, rows: first.rows, columns: first.columns, channels: 3, quality: quality)
            return (0 ..< 3).map { ch in
                Plane(rows: first.rows, columns: first.columns, values: (0 ..< n).map { Float(out[$0 * 3 + ch]) / 255 })
            }
        }
        return try planes.map { p in
            let out = try JPEGCodec.roundTrip(p.values.map(bytes), rows: p.rows, columns: p.columns, channels: 1, quality: quality)
            return Plane(rows: p.rows, columns: p.columns, values: out.map { Float($0) / 255 })
        }
    }
}
