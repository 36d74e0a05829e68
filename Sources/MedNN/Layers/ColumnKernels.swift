/// im2col and its adjoint as free functions over one batch item's planes, for layers that
/// multiply columns (`ConvTranspose2d`). A convolution with `geometry` maps planes of
/// `rows × columns` (the image side) to `outRows × outColumns` (the column side); the column
/// matrix for column-side rows `y0 ..< y1` is `[channels·k·k, (y1 − y0)·outColumns]`: row
/// (c, ky, kx), column (oy − y0, ox) holds image[c, oy·s + ky − p, ox·s + kx − p], 0 outside.
/// Channel planes lie `channelStride` values apart (`batch · rows · columns` in `[C, B, H, W]`).

/// Writes the column matrix of column-side rows `y0 ..< y1` into `buffer` (every value).
@_specialize(where T == Float)
@_specialize(where T == Double)
func im2colRows<T: NNScalar>(_ image: UnsafePointer<T>, channels: Int, channelStride: Int, rows: Int, columns: Int,
                             geometry: ConvolutionGeometry, outColumns ow: Int, y0: Int, y1: Int,
                             into buffer: UnsafeMutablePointer<T>) {
    let k = geometry.kernel, s = geometry.stride, p = geometry.padding, n = (y1 - y0) * ow
    for c in 0 ..< channels {
        let plane = image + c * channelStride
        for ky in 0 ..< k { for kx in 0 ..< k {
            let row = buffer + ((c * k + ky) * k + kx) * n
            let (x0, x1) = geometry.validColumns(kx, columns: columns, outColumns: ow)
            for y in y0 ..< y1 {
                let sy = y * s + ky - p, line = row + (y - y0) * ow
                guard sy >= 0 && sy < rows && x0 < x1 else {
                    line.update(repeating: 0, count: ow)
                    continue
                }
                if x0 > 0 { line.update(repeating: 0, count: x0) }
                let from = plane + sy * columns + kx - p
                if s == 1 {
                    (line + x0).update(from: from + x0, count: x1 - x0)
                } else {
                    for ox in x0 ..< x1 { line[ox] = from[ox * s] }
                }
                if x1 < ow { (line + x1).update(repeating: 0, count: ow - x1) }
            }
        } }
    }
}

/// Adds the column matrix of column-side rows `y0 ..< y1` back into the image (the adjoint of
/// `im2colRows`).
@_specialize(where T == Float)
@_specialize(where T == Double)
func col2imRows<T: NNScalar>(_ buffer: UnsafePointer<T>, channels: Int, channelStride: Int, rows: Int, columns: Int,
                             geometry: ConvolutionGeometry, outColumns ow: Int, y0: Int, y1: Int,
                             into image: UnsafeMutablePointer<T>) {
    let k = geometry.kernel, s = geometry.stride, p = geometry.padding, n = (y1 - y0) * ow
    for c in 0 ..< channels {
        let plane = image + c * channelStride
        for ky in 0 ..< k { for kx in 0 ..< k {
            let row = buffer + ((c * k + ky) * k + kx) * n
            let (x0, x1) = geometry.validColumns(kx, columns: columns, outColumns: ow)
            guard x0 < x1 else { continue }
            for y in y0 ..< y1 {
                let sy = y * s + ky - p
                guard sy >= 0 && sy < rows else { continue }
                let to = plane + sy * columns + kx - p, from = row + (y - y0) * ow
                if s == 1 {
                    for ox in x0 ..< x1 { to[ox] += from[ox] }
                } else {
                    for ox in x0 ..< x1 { to[ox * s] += from[ox] }
                }
            }
        } }
    }
}
