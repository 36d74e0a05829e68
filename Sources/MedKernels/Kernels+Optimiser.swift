import CKernels

extension Kernels {
    /// One Adam step (Kingma & Ba 2015) over `count` floats, as PyTorch computes it:
    /// m = m + (1 − β1)(g − m), v = β2·v + (1 − β2)·g², w = w·keep − step·m / (√v / rootC2 + ε),
    /// where step = lr / (1 − β1ᵗ), rootC2 = √(1 − β2ᵗ) and keep = 1 − lr·decay (AdamW; 1 for Adam).
    public static func adam(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                            m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                            beta1: Float, beta2: Float, step: Float, rootC2: Float, epsilon: Float, keep: Float) {
        msr_adam(w, g, m, v, count, beta1, beta2, step, rootC2, epsilon, keep)
    }
}
