import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): a small seeded generator for reproducible resampling,
/// training order and degradations.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state (checkpoints save it to continue the same sequence).
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SplitMix64 {
    /// A seed for one (seed, index, stream) triple: SplitMix64's finaliser over their mix, so
    /// neighbouring tiles and steps get unrelated sequences.
    public static func derivedSeed(_ seed: UInt64, _ index: UInt64, _ stream: UInt64) -> UInt64 {
        var g = SplitMix64(seed: seed)
        var h = g.next() ^ index &* 0xD1B5_4A32_D192_ED03
        g = SplitMix64(seed: h)
        h = g.next() ^ stream &* 0x8CB9_2BA7_2F3D_8DD7
        g = SplitMix64(seed: h)
        return g.next()
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal sample (Box–Muller, one of the pair; two uniforms per sample).
    public mutating func nextNormal() -> Double {
        let u1 = Double((next() >> 11) + 1) * 0x1p-53        // (0, 1]: the logarithm stays finite
        let u2 = nextUnit()
        return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A Poisson sample of the given mean (≥ 0): Knuth's product of uniforms below 30, above it
    /// Hörmann's transformed rejection PTRS (1993), as NumPy's `Generator.poisson`.
    public mutating func nextPoisson(mean lambda: Double) -> Double {
        guard lambda > 0 else { return 0 }
        if lambda < 30 {
            let limit = exp(-lambda)
            var k = 0.0, product = nextUnit()
            while product > limit {
                k += 1
                product *= nextUnit()
            }
            return k
        }
        let slam = lambda.squareRoot(), loglam = Foundation.log(lambda)
        let b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = nextUnit() - 0.5, v = nextUnit()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + lambda + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if Foundation.log(v) + Foundation.log(invAlpha) - Foundation.log(a / (us * us) + b)
                <= -lambda + k * loglam - lgamma(k + 1) {
                return k
            }
        }
    }
}
