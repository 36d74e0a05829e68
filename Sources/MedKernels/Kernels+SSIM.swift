import CKernels

extension Kernels {
    /// SSIM over one block (Wang et al. 2004): rows `r0 ..< r1` × columns `c0 ..< c1` of two
    /// `rows × columns` float images, Gaussian window of radius 5 with `weights[0 ... 5]`, borders
    /// mirrored (scipy's `reflect`), data shifted by `shift` before the moments, constants `c1`
    /// and `c2`, double precision throughout. Writes the block of the map into `map` (row stride
    /// `columns`) when it is not nil. Returns the sum of SSIM over the block's pixels inside
    /// rows `vr0 ..< vr1` × columns `vc0 ..< vc1`.
    public static func ssimBlock(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, columns: Int,
                                 r0: Int, r1: Int, c0: Int, c1: Int, weights: UnsafePointer<Double>, shift: Double,
                                 c1 k1: Double, c2 k2: Double, map: UnsafeMutablePointer<Float>?,
                                 vr0: Int, vr1: Int, vc0: Int, vc1: Int) -> Double {
        msr_ssim_block(x, y, rows, columns, r0, r1, c0, c1, weights, shift, k1, k2, map, vr0, vr1, vc0, vc1)
    }
}
