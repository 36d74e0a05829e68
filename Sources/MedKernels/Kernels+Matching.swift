import CKernels

/// Template-matching kernels for registration (`msr_match.c`).
extension Kernels {
    /// Over the `rows × columns` window at `image` (row stride `stride`) and the template
    /// `template` (row stride `columns`), with v = pixel − `offset`: (Σv, Σv², Σv·t). Each row is
    /// summed in eight float lanes, rows in double.
    public static func matchSums(_ image: UnsafePointer<Float>, stride: Int, template: UnsafePointer<Float>,
                                 rows: Int, columns: Int, offset: Float) -> (sum: Double, sumOfSquares: Double, cross: Double) {
        var out = (sum: 0.0, sumOfSquares: 0.0, cross: 0.0)
        withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: Double.self, capacity: 3) {
                msr_match_sums(image, stride, template, rows, columns, offset, $0)
            }
        }
        return out
    }

    /// The same for detail: v = the 4-neighbour Laplacian of the window's interior
    /// ((rows − 2) × (columns − 2) pixels; `image` points at the window's corner), against `band`
    /// (row stride columns − 2). rows, columns ≥ 3.
    public static func matchDetailSums(_ image: UnsafePointer<Float>, stride: Int, band: UnsafePointer<Float>,
                                       rows: Int, columns: Int) -> (sum: Double, sumOfSquares: Double, cross: Double) {
        var out = (sum: 0.0, sumOfSquares: 0.0, cross: 0.0)
        withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: Double.self, capacity: 3) {
                msr_match_detail_sums(image, stride, band, rows, columns, $0)
            }
        }
        return out
    }

    /// `dst[j·columns + i]` = the mean of the `factor × factor` block of `src` (row stride
    /// `stride`) whose corner is (i·factor, j·factor), for j < rows, i < columns. `scratch` holds
    /// columns·factor floats.
    public static func blockMeans(_ src: UnsafePointer<Float>, stride: Int, factor: Int, rows: Int, columns: Int,
                                  into dst: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        msr_block_means(src, stride, factor, rows, columns, dst, scratch)
    }
}
