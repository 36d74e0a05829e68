import Foundation
import MedDataset
import MedImage
import Testing

@Suite("Degradations: specs, determinism, noise statistics, blur and JPEG")
struct DegradationTests {
    static func flat(_ value: Float, side: Int = 128) -> Plane {
        Plane(rows: side, columns: side, values: [Float](repeating: value, count: side * side))
    }

    /// A smooth, non-constant test image in [0.1, 0.9].
    static func smooth(side: Int = 64) -> Plane {
        Plane(rows: side, columns: side, values: (0 ..< side * side).map { i in
            let y = Double(i / side), x = Double(i % side)
            return Float(0.5 + 0.4 * sin(x / 7) * cos(y / 11))
        })
    }

    static func stats(_ values: [Float]) -> (mean: Double, variance: Double) {
        let n = Double(values.count), mean = values.reduce(0.0) { $0 + Double($1) } / n
        return (mean, values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1))
    }

    static func degrade(_ spec: String, _ planes: [Plane], seed: UInt64 = 7, tile: Int = 0) throws -> [Plane] {
        try Degradation(parsing: spec).apply(to: planes, seed: seed, tileIndex: tile)
    }

    @Test(arguments: ["blur:gaussian:1.5", "blur:defocus:2", "blur:motion:7:30", "blur:motion:5:-45.5", "blur:downup:4",
                      "blur:downup:2.5", "noise:gaussian:5", "noise:poisson:100", "noise:rician:12.5", "noise:speckle:0.1",
                      "jpeg:75", "blur:gaussian:1.5+noise:gaussian:5", "blur:downup:4+noise:poisson:50+jpeg:90"])
    func canonicalSpecsRoundTrip(_ spec: String) throws {
        let d = try Degradation(parsing: spec)
        #expect(d.description == spec)
        #expect(try Degradation(parsing: d.description) == d)
    }

    @Test func specsAreNormalised() throws {
        let d = try Degradation(parsing: " blur:gaussian:1.50 + noise:gaussian:5.0 ")
        #expect(d.description == "blur:gaussian:1.5+noise:gaussian:5")
        #expect(d.steps == [.gaussianBlur(sigma: 1.5), .gaussianNoise(sigma: 5)])
        #expect(try Degradation(parsing: "blur:motion:9:0").steps == [.motionBlur(length: 9, angleDegrees: 0)])
    }

    @Test(arguments: ["", "blur", "blur:gaussian", "blur:gaussian:x", "blur:gaussian:-1", "blur:gaussian:0", "blur:gaussian:1:2",
                      "blur:motion:5", "blur:downup:1", "noise:salt:3", "noise:gaussian:-2", "noise:poisson:0", "jpeg:0",
                      "jpeg:101", "jpeg:50.5", "jpeg", "blur:gaussian:1++noise:gaussian:2", "blur:gaussian:nan", "gaussian:2"])
    func badSpecsSayWhatIsWrongAndListTheForms(_ spec: String) {
        #expect {
            try Degradation(parsing: spec)
        } throws: { error in
            let text = String(describing: error)
            return error is DegradationError && text.contains("'\(spec)'") && text.contains("blur:motion:LENGTH:ANGLE")
                && text.contains("jpeg:QUALITY") && !text.contains("\n")
        }
    }

    @Test(arguments: ["noise:gaussian:10", "noise:poisson:30", "noise:rician:10", "noise:speckle:0.2",
                      "blur:gaussian:1+noise:gaussian:3"])
    func noiseIsDeterministicPerSeedAndTile(_ spec: String) throws {
        let x = [Self.smooth(), Self.smooth()]
        let a = try Self.degrade(spec, x, seed: 3, tile: 5), b = try Self.degrade(spec, x, seed: 3, tile: 5)
        #expect(a == b)
        #expect(try Self.degrade(spec, x, seed: 3, tile: 6) != a)
        #expect(try Self.degrade(spec, x, seed: 4, tile: 5) != a)
        // Two channels of one tile get different noise.
        #expect(a[0] != a[1])
    }

    @Test func gaussianNoiseHasTheStatedSigmaInEightBitLevels() throws {
        let y = try Self.degrade("noise:gaussian:10", [Self.flat(0.5)])[0]
        let (mean, variance) = Self.stats(y.values), s = 10.0 / 255
        #expect(abs(mean - 0.5) < 4 * s / 128)
        #expect(abs(variance.squareRoot() / s - 1) < 0.03)
    }

    @Test(arguments: [(0.5, 20.0), (0.5, 100.0), (0.8, 1000.0)])  // λ = 10 (Knuth), 50 and 800 (PTRS)
    func poissonNoiseHasMeanXAndVarianceXOverScale(_ x: Double, _ scale: Double) throws {
        let y = try Self.degrade("noise:poisson:\(scale)", [Self.flat(Float(x))])[0]
        let (mean, variance) = Self.stats(y.values), expected = x / scale
        #expect(abs(mean - x) < 4 * expected.squareRoot() / 128)
        #expect(abs(variance / expected - 1) < 0.06)
        // Values are counts over scale.
        #expect(y.values.allSatisfy { v in abs((Double(v) * scale).rounded() - Double(v) * scale) < 1e-3 * scale })
    }

    @Test func ricianNoiseHasTheMagnitudeMoments() throws {
        let s = 20.0 / 255
        // E[M²] = x² + 2σ² for any x.
        let y = try Self.degrade("noise:rician:20", [Self.flat(0.3)])[0]
        let m2 = y.values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(y.values.count)
        #expect(abs(m2 / (0.09 + 2 * s * s) - 1) < 0.02)
        // At x = 0 the magnitude is Rayleigh: mean σ√(π/2), never negative.
        let z = try Self.degrade("noise:rician:20", [Self.flat(0)])[0]
        #expect(abs(Self.stats(z.values).mean / (s * (Double.pi / 2).squareRoot()) - 1) < 0.02)
        #expect(z.values.allSatisfy { $0 >= 0 })
    }

    @Test func speckleNoiseScalesWithTheSignal() throws {
        let y = try Self.degrade("noise:speckle:0.2", [Self.flat(0.5)])[0]
        let (mean, variance) = Self.stats(y.values)
        #expect(abs(mean - 0.5) < 0.005)
        #expect(abs(variance.squareRoot() / 0.1 - 1) < 0.03)
        // Black stays black.
        #expect(try Self.degrade("noise:speckle:0.2", [Self.flat(0, side: 16)])[0].values.allSatisfy { $0 == 0 })
    }

    @Test func noiseIsClippedToTheUnitRange() throws {
        let y = try Self.degrade("noise:gaussian:60", [Self.flat(0.05)])[0]
        #expect(y.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(y.values.contains(0))
        let z = try Self.degrade("noise:gaussian:60", [Self.flat(0.95)])[0]
        #expect(z.values.contains(1))
    }

    @Test(arguments: ["blur:gaussian:2", "blur:defocus:3", "blur:motion:9:20", "blur:downup:4", "blur:downup:3"])
    func blursKeepAFlatImageAndSmoothADetailedOne(_ spec: String) throws {
        #expect(try Self.degrade(spec, [Self.flat(0.25, side: 48)])[0].values.allSatisfy { abs($0 - 0.25) < 1e-5 })
        let pattern: [Float] = (0 ..< 48 * 48).map { (i: Int) -> Float in (i / 48 + i % 48) % 2 == 0 ? 0 : 1 }
        let checks = Plane(rows: 48, columns: 48, values: pattern)
        let y = try Self.degrade(spec, [checks])[0]
        #expect(Self.stats(y.values).variance < 0.5 * Self.stats(checks.values).variance)
        #expect(y.values.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func downUpUsesTheProjectBicubic() throws {
        let x = Self.smooth()
        let pixels = PixelArray(rows: 64, columns: 64, samples: .float32(x.values))
        let expected = Resample.bicubic(Resample.bicubic(pixels, columns: 16, rows: 16), columns: 64, rows: 64).samples.floats()
        #expect(try Self.degrade("blur:downup:4", [x])[0].values == expected.map { min(max($0, 0), 1) })
    }

    @Test func jpegRoundTripsThroughLibjpegTurbo() throws {
        let x = Self.smooth()
        let high = try Self.degrade("jpeg:95", [x])[0], low = try Self.degrade("jpeg:10", [x])[0]
        func mse(_ a: Plane) -> Double { zip(a.values, x.values).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / 4096 }
        #expect(mse(high) < 1e-4)
        #expect(mse(low) > 2 * mse(high))
        #expect(high.values.allSatisfy { ($0 * 255).rounded() == $0 * 255 })
        // Three planes go through as one RGB image and stay three planes.
        let rgb = try Self.degrade("jpeg:80", [x, Self.flat(0.2, side: 64), Self.flat(0.7, side: 64)])
        #expect(rgb.count == 3 && rgb.allSatisfy { $0.rows == 64 && $0.columns == 64 })
        #expect(abs(Self.stats(rgb[2].values).mean - 0.7) < 0.05)
    }
}
