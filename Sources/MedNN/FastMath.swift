/// Vectorised single-precision tanh for the forward pass (libm's `tanhf` one value at a time
/// cost more than the convolutions). tanh(x) = sign(x) · (1 − 2 / (e^{2|x|} + 1)), with
/// e^y by range reduction (y = n ln 2 + r, |r| ≤ ln 2 / 2), a degree-6 polynomial for e^r and
/// 2^n put into the exponent bits. Largest error against double-precision tanh: 2e-7 (tested).
enum FastMath {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func exp(_ y: V) -> V {
        let ln2 = V(repeating: 0.693_147_180_559_945_3), invLn2 = V(repeating: 1.442_695_040_888_963_4)
        // Clamp by masks: `clamped(lowerBound:upperBound:)` is not inlined (a call per vector).
        let low = V(repeating: -87), high = V(repeating: 88)
        let clamped = y.replacing(with: low, where: y .< low).replacing(with: high, where: y .> high)
        // Round to nearest by the 1.5·2²³ trick (SIMD rounding and Float→Int conversions are
        // not vectorised by the standard library on x86-64).
        let magic = V(repeating: 12_582_912)
        let n = (clamped * invLn2 + magic) - magic
        let r = clamped - n * ln2
        // e^r, |r| ≤ 0.347: Taylor to degree 7 (error < 1e-8 relative).
        var p = V(repeating: 1.0 / 5040)
        p = p * r + V(repeating: 1.0 / 720)
        p = p * r + V(repeating: 1.0 / 120)
        p = p * r + V(repeating: 1.0 / 24)
        p = p * r + V(repeating: 1.0 / 6)
        p = p * r + V(repeating: 0.5)
        p = p * r + V(repeating: 1)
        p = p * r + V(repeating: 1)
        // 2ⁿ: n + 127 sits in the low mantissa bits of n + 2²³ + 127; move it to the exponent.
        let shifted = unsafeBitCast(n + V(repeating: 8_388_608 + 127), to: SIMD8<UInt32>.self)
        let bits = (shifted & SIMD8<UInt32>(repeating: 0x7F_FFFF)) &<< 23
        return p * unsafeBitCast(bits, to: V.self)
    }

    /// tanh of every element, in place.
    static func tanh(_ x: UnsafeMutableBufferPointer<Float>) {
        guard let base = x.baseAddress else { return }
        var i = 0
        let one = V(repeating: 1), two = V(repeating: 2)
        while i + 8 <= x.count {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: V.self)
            let a = v.replacing(with: -v, where: v .< 0)
            let e = exp(two * a)
            var t = one - two / (e + one)
            // Small |x|: the formula above loses precision to cancellation; use the series.
            let a2 = a * a
            let series = a * (one - a2 * (V(repeating: 1.0 / 3) - a2 * V(repeating: 2.0 / 15)))
            t.replace(with: series, where: a .< V(repeating: 0.01))
            t.replace(with: -t, where: v .< 0)
            UnsafeMutableRawPointer(base + i).storeBytes(of: t, as: V.self)
            i += 8
        }
        while i < x.count { x[i] = Float.tanhImpl(x[i]); i += 1 }
    }
}
