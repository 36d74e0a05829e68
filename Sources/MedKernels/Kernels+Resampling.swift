import CKernels

extension Kernels {
    /// Pillow's 8-bit resampling pass as row sums: for each output line o (`first.count` of
    /// them), over `width` samples, `dst[o·width + j] = clip8((2²¹ + Σᵢ weights[o·taps + i] ·
    /// src[(first[o] + i)·width + j]) >> 22)` with 32-bit wrapping sums (Pillow's
    /// `ImagingResampleVertical_8bpc` arithmetic, bit for bit). The caller checks that every
    /// line `first[o] + i` lies in `src`.
    public static func rowSums8(_ src: UnsafeBufferPointer<UInt8>, width: Int, first: UnsafeBufferPointer<Int>,
                                count: UnsafeBufferPointer<Int>, weights: UnsafeBufferPointer<Int32>, taps: Int,
                                into dst: UnsafeMutableBufferPointer<UInt8>) {
        let lines = first.count
        precondition(count.count == lines && weights.count >= lines * taps && dst.count >= lines * width)
        msr_row_sums8(src.baseAddress, width, first.baseAddress, count.baseAddress, weights.baseAddress, taps, lines,
                      dst.baseAddress)
    }

    /// `dst` (columns × rows) = the transpose of the `rows × columns` byte image `src`, in 16×16
    /// blocks in SSE2 registers.
    public static func transpose(_ src: UnsafePointer<UInt8>?, rows: Int, columns: Int,
                                 into dst: UnsafeMutablePointer<UInt8>?) {
        msr_transpose8(src, rows, columns, dst)
    }

    /// The same for 16-bit values (8×8 blocks; any 16-bit type, bits untouched).
    public static func transpose(_ src: UnsafePointer<UInt16>?, rows: Int, columns: Int,
                                 into dst: UnsafeMutablePointer<UInt16>?) {
        msr_transpose16(src, rows, columns, dst)
    }
}
