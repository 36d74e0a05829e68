import CKernels

/// Convolution kernels (`msr_conv.c`); the contracts in full are in `msr_conv.h`.
extension Kernels {
    /// Depthwise convolution of one `rows × columns` plane with a `k × k` kernel `weight`
    /// (row-major), `stride`, zero padding `padding`, plus `bias`, into the `oh × ow` plane `out`.
    /// Each output sums its taps in (ky, kx) order starting from the bias (PyTorch
    /// `Conv2d(groups=C)`, one channel).
    public static func depthwisePlane(_ input: UnsafePointer<Float>, rows: Int, columns: Int,
                                      weight: UnsafePointer<Float>, k: Int, stride: Int, padding: Int, bias: Float,
                                      into out: UnsafeMutablePointer<Float>, oh: Int, ow: Int) {
        msr_depthwise_plane(input, rows, columns, weight, k, stride, padding, bias, out, oh, ow)
    }

    /// Floats one zero-padded image of `channels` planes takes for the direct convolution
    /// (its planes plus the read slack after the last).
    public static func convPaddedSize(channels: Int, rows: Int, columns: Int, padding: Int, k: Int) -> Int {
        msr_conv_padded_size(channels, rows, columns, padding, k)
    }

    /// `channels` planes of rows × columns (plane c at `src + c·sourceStride`) into `dst`,
    /// zero-padded by `padding` on every side, planes back to back.
    public static func convPad(_ src: UnsafePointer<Float>, channels: Int, sourceStride: Int, rows: Int, columns: Int,
                               padding: Int, into dst: UnsafeMutablePointer<Float>) {
        msr_conv_pad(src, channels, sourceStride, rows, columns, padding, dst)
    }

    /// Zeroes the read slack after an image's last padded plane.
    public static func convClearSlack(_ dst: UnsafeMutablePointer<Float>, channels: Int, rows: Int, columns: Int,
                                      padding: Int, k: Int) {
        msr_conv_clear_slack(dst, channels, rows, columns, padding, k)
    }

    /// Weights OIHW (`cout × cin × k × k`) into `dst[c][t][o]`, or, when `adjoint` (the input
    /// gradient, a convolution of the output gradient), into `dst[o][t][c]` with the taps
    /// reversed; `dst` holds `cout·cin·k·k` floats.
    public static func convPack(_ weight: UnsafePointer<Float>, cout: Int, cin: Int, k: Int, adjoint: Bool,
                                into dst: UnsafeMutablePointer<Float>?) {
        msr_conv_pack(weight, cout, cin, k, adjoint ? 1 : 0, dst)
    }

    /// Output rows `y0 ..< y1` (each `ow` wide) of the direct stride-1 convolution: plane o at
    /// `out + o·outStride` gets `bias[o]` (0 when `bias` is nil) + Σ_c Σ_ky,kx
    /// `packed[c][ky·k+kx][o] · padded[c][y+ky][x+kx]`, over `pr × pc` padded planes. Each output is
    /// summed in the same order whatever rows are asked for.
    public static func convRows(_ padded: UnsafePointer<Float>, cin: Int, pr: Int, pc: Int, k: Int,
                                packed: UnsafePointer<Float>, cout: Int, bias: UnsafePointer<Float>?,
                                into out: UnsafeMutablePointer<Float>, outStride: Int, ow: Int, y0: Int, y1: Int) {
        msr_conv_rows(padded, cin, pr, pc, k, packed, cout, bias, out, outStride, ow, y0, y1)
    }

    /// One image's output gradient (`cout` planes of oh × ow, plane o at `g + o·gradientStride`)
    /// onto the padded-width grid `dst[o][y·pc + x]`, planes `pstride` apart (a multiple of 16, at
    /// least oh·pc), zero elsewhere.
    public static func convSpread(_ g: UnsafePointer<Float>, cout: Int, gradientStride: Int, oh: Int, ow: Int, pc: Int,
                                  pstride: Int, into dst: UnsafeMutablePointer<Float>) {
        msr_conv_spread(g, cout, gradientStride, oh, ow, pc, pstride, dst)
    }

    /// The number of jobs `convWeightGradient` splits into (one input channel × a block of eight
    /// output channels each; jobs write disjoint weights).
    public static func convWeightJobs(cin: Int, cout: Int) -> Int { msr_conv_weight_jobs(cin, cout) }

    /// `dw[o][c][ky][kx] += Σ_b Σ_p g[b][o][p] · padded[b][c][p + ky·pc + kx]` for jobs
    /// `job0 ..< job1`; image b's spread gradient at `g + b·gradientBatch`, its padded planes
    /// (`plane` floats each) at `padded + b·size`. Kernels up to 9×9: returns false, doing nothing,
    /// for larger ones.
    @discardableResult
    public static func convWeightGradient(_ g: UnsafePointer<Float>, pstride: Int, gradientBatch: Int, batch: Int,
                                          padded: UnsafePointer<Float>, size: Int, plane: Int, pc: Int, k: Int,
                                          cin: Int, cout: Int, job0: Int, job1: Int,
                                          into dw: UnsafeMutablePointer<Float>) -> Bool {
        msr_conv_weight_grad(g, pstride, gradientBatch, batch, padded, size, plane, pc, k, cin, cout, job0, job1, dw) == 0
    }
}
