/// Where a pooling window lies (PyTorch's `MaxPool2d`/`AvgPool2d` arithmetic, dilation 1):
/// output cell o starts at input index o·stride − padding; the padding is at most half the
/// window, so every window holds at least one input value.
public struct PoolGeometry: Sendable, Equatable {
    public let kernel: Int, stride: Int, padding: Int
    /// PyTorch's `ceil_mode`: the last window may hang over the end (but must start inside the
    /// input or its left padding).
    public let ceilMode: Bool

    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        precondition(kernel >= 1, "pooling needs a window of at least 1")
        precondition(padding >= 0 && padding <= kernel / 2, "pooling padding must be at most half the window (PyTorch's rule)")
        self.kernel = kernel
        self.stride = max(1, stride ?? kernel)
        self.padding = padding
        self.ceilMode = ceilMode
    }

    /// Output rows (or columns) for `n` input rows (PyTorch's `pooling_output_shape`); 0 when the
    /// window does not fit.
    public func outputSize(_ n: Int) -> Int {
        let span = n + 2 * padding - kernel
        guard span >= 0 else { return 0 }
        var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        // A last window that would start in the right padding is dropped.
        if ceilMode && (out - 1) * stride >= n + padding { out -= 1 }
        return out
    }
}
