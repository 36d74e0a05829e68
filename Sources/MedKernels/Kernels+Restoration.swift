import CKernels

/// The restoration baselines (`msr_restore.c`): non-local means, median and separable-free
/// convolution over bands of rows of a padded plane.
extension Kernels {
    /// scikit-image's fast non-local means over rows `row0..<row1` of a reflect-padded,
    /// channel-interleaved plane. Returns false when scratch memory could not be allocated.
    public static func nonLocalMeansRows(_ padded: UnsafePointer<Double>, paddedRows: Int, paddedColumns: Int, channels: Int, pad: Int,
                                         offset: Int, distance: Int, variance: Double, h2s2: Double, row0: Int, row1: Int, columns: Int,
                                         into out: UnsafeMutablePointer<Float>) -> Bool {
        msr_nlm_rows(padded, paddedRows, paddedColumns, channels, pad, offset, distance, variance, h2s2, row0, row1, columns, out) == 0
    }

    /// The k×k median of rows `row0..<row1` of a padded plane `paddedColumns` wide.
    @discardableResult
    public static func medianRows(_ padded: UnsafePointer<Float>, paddedColumns: Int, size k: Int, row0: Int, row1: Int, columns: Int,
                                  into out: UnsafeMutablePointer<Float>) -> Bool {
        msr_median_rows(padded, paddedColumns, k, row0, row1, columns, out) == 0
    }

    /// A k×k kernel over rows `row0..<row1` of a padded plane `paddedColumns` wide.
    @discardableResult
    public static func convolveRows(_ padded: UnsafePointer<Float>, paddedColumns: Int, kernel: UnsafePointer<Float>, size k: Int,
                                    row0: Int, row1: Int, columns: Int, into out: UnsafeMutablePointer<Float>) -> Bool {
        msr_convolve_rows(padded, paddedColumns, kernel, k, row0, row1, columns, out) == 0
    }
}
