import MedKernels

/// Vectorised single-precision tanh for the forward pass (libm's `tanhf` one value at a time
/// cost more than the convolutions): `Kernels.tanh`, C compiled for AVX-512, AVX2 and baseline
/// x86-64 (Swift's SIMD types stay at baseline's four lanes). tanh(x) = sign(x) · (1 − 2 /
/// (e^{2|x|} + 1)), with e^y by range reduction (y = n ln 2 + r, |r| ≤ ln 2 / 2), a degree-7
/// polynomial for e^r and 2^n put into the exponent bits. Largest error against
/// double-precision tanh: 2e-7 (tested).
enum FastMath {
    /// tanh of every element, in place.
    static func tanh(_ x: UnsafeMutableBufferPointer<Float>) {
        guard let base = x.baseAddress else { return }
        Kernels.tanh(base, into: base, count: x.count)
    }

    /// `y[i] = tanh(x[i])`.
    static func tanh(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == y.count)
        guard let from = x.baseAddress, let to = y.baseAddress else { return }
        Kernels.tanh(from, into: to, count: x.count)
    }
}
