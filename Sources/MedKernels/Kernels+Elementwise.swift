import CKernels

extension Kernels {
    /// `y[i] = tanh(x[i])` for `i < count` (`x` and `y` may be the same). Largest error against
    /// double-precision tanh about 2e-7; each result depends only on its value, not on its place
    /// in the array.
    public static func tanh(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        msr_tanh(x, y, count)
    }
}
