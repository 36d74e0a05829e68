import MedKernels
import MedImage
import MedKernels

/// Stride-2 k×k convolutions in single precision on the direct kernel (`DirectConvolution`),
/// by space-to-depth: the zero-padded input's four phases (even/odd rows × even/odd columns)
/// become four channels per input channel, and the stride-2 k×k convolution becomes a stride-1
/// ⌈k/2⌉×⌈k/2⌉ convolution of that image with the taps regrouped by phase: output (y, x), tap
/// (ky, kx) reads padded (2y + ky, 2x + kx) = phase (ky mod 2, kx mod 2) at (y + ⌊ky/2⌋,
/// x + ⌊kx/2⌋). Taps a phase lacks (odd k) are zero weights: for k = 4 (pix2pix, PatchGAN)
/// nothing is wasted, for k = 3 the arithmetic grows by 16/9 — still faster than im2col + GEMM,
/// which moves a column matrix and packs it again. The input gradient is the direct kernel's
/// adjoint then depth-to-space; the weight gradient the direct kernel's, with the phase taps
/// gathered back.
final class StridedDirectConvolution: @unchecked Sendable {
    let kernel: Int, padding: Int
    /// ⌈k/2⌉, the kernel of the space-to-depth convolution.
    let phaseKernel: Int
    let direct: DirectConvolution

    init(kernel: Int, padding: Int) {
        precondition(kernel >= 2 && padding >= 0 && padding < kernel)
        self.kernel = kernel
        self.padding = padding
        phaseKernel = (kernel + 1) / 2
        direct = DirectConvolution(kernel: phaseKernel)
    }

    /// Rows (or columns) of the space-to-depth image for `outputs` output rows.
    func phaseSize(_ outputs: Int) -> Int { outputs + phaseKernel - 1 }

    /// Weights OIHW `[cout, cin, k, k]` → `[cout, 4·cin, k', k']`: channel 4c + 2·ry + rx, tap
    /// (a, b) holds w[o][c][2a + ry][2b + rx] (zero past k).
    func phaseWeights(_ w: UnsafePointer<Float>, cout: Int, cin: Int) -> [Float] {
        let k = kernel, q = phaseKernel
        var out = [Float](repeating: 0, count: cout * 4 * cin * q * q)
        out.withUnsafeMutableBufferPointer { d in
            for o in 0 ..< cout { for c in 0 ..< cin { for ky in 0 ..< k { for kx in 0 ..< k {
                let phase = (ky & 1) * 2 + (kx & 1)
                d[((o * 4 * cin + 4 * c + phase) * q + ky / 2) * q + kx / 2] = w[((o * cin + c) * k + ky) * k + kx]
            } } } }
        }
        return out
    }

    /// dW[o][c][ky][kx] += the space-to-depth weight gradient's matching tap.
    func gatherWeightGradient(_ phase: UnsafePointer<Float>, cout: Int, cin: Int, into dw: UnsafeMutablePointer<Float>) {
        let k = kernel, q = phaseKernel
        for o in 0 ..< cout { for c in 0 ..< cin { for ky in 0 ..< k { for kx in 0 ..< k {
            let p = (ky & 1) * 2 + (kx & 1)
            dw[((o * cin + c) * k + ky) * k + kx] += phase[((o * 4 * cin + 4 * c + p) * q + ky / 2) * q + kx / 2]
        } } } }
    }

    /// `out` (`[cout, batch, oh, ow]`) = bias + x ⊛ weight with stride 2.
    func forward(_ x: UnsafePointer<Float>, cin: Int, batch: Int, rows: Int, columns: Int, weight: UnsafePointer<Float>,
                 cout: Int, bias: UnsafePointer<Float>?, outRows oh: Int, outColumns ow: Int, into out: UnsafeMutablePointer<Float>,
                 workers: Int, bands: [RowBand]) {
        let pr = phaseSize(oh), pc = phaseSize(ow)
        let weights = phaseWeights(weight, cout: cout, cin: cin)
        Scratch.shared.with(count: 4 * cin * batch * pr * pc) { phases in
            spaceToDepth(x, channels: cin, batch: batch, rows: rows, columns: columns, padding: padding, phaseRows: pr,
                         phaseColumns: pc, into: phases, workers: workers)
            weights.withUnsafeBufferPointer { w in
                direct.run(phases, cin: 4 * cin, batch: batch, rows: pr, columns: pc, padding: 0, weight: w.baseAddress!,
                           cout: cout, adjoint: false, bias: bias, into: out, workers: workers, bands: bands)
            }
        }
    }

    /// The input gradient (`dx`, every value written) and, unless `frozen`, the weight gradient
    /// (added into `dw`) from the output gradient `g` (`[cout, batch, oh, ow]`).
    func backward(_ x: UnsafePointer<Float>, cin: Int, batch: Int, rows: Int, columns: Int, weight: UnsafePointer<Float>,
                  cout: Int, gradient g: UnsafePointer<Float>, outRows oh: Int, outColumns ow: Int, weightGradient dw: UnsafeMutablePointer<Float>?,
                  inputGradient dx: UnsafeMutablePointer<Float>?, workers: Int, bands: [RowBand]) {
        let pr = phaseSize(oh), pc = phaseSize(ow), q = phaseKernel
        let weights = phaseWeights(weight, cout: cout, cin: cin)
        Scratch.shared.with(count: 4 * cin * batch * pr * pc) { phases in
            if let dw {
                spaceToDepth(x, channels: cin, batch: batch, rows: rows, columns: columns, padding: padding, phaseRows: pr,
                             phaseColumns: pc, into: phases, workers: workers)
                var phaseGradient = [Float](repeating: 0, count: cout * 4 * cin * q * q)
                phaseGradient.withUnsafeMutableBufferPointer { d in
                    direct.weightGradient(phases, cin: 4 * cin, batch: batch, rows: pr, columns: pc, padding: 0, gradient: g,
                                          cout: cout, into: d.baseAddress!, workers: workers)
                }
                phaseGradient.withUnsafeBufferPointer { gatherWeightGradient($0.baseAddress!, cout: cout, cin: cin, into: dw) }
            }
            guard let dx else { return }
            // d(phases) = dY ⊛ (W' transposed, taps reversed), padded by k' − 1: pr × pc again.
            weights.withUnsafeBufferPointer { w in
                direct.run(g, cin: cout, batch: batch, rows: oh, columns: ow, padding: q - 1, weight: w.baseAddress!,
                           cout: 4 * cin, adjoint: true, bias: nil, into: phases, workers: workers, bands: bands)
            }
            depthToSpace(phases, channels: cin, batch: batch, rows: rows, columns: columns, padding: padding, phaseRows: pr,
                         phaseColumns: pc, into: dx, workers: workers)
        }
    }
}

/// `[cin, batch, rows, columns]` zero-padded by `padding` → `[4·cin, batch, phaseRows,
/// phaseColumns]`: channel 4c + 2·ry + rx, (i, j) holds padded (2i + ry, 2j + rx), zero outside
/// the image. Threads over channels.
func spaceToDepth(_ x: UnsafePointer<Float>, channels: Int, batch: Int, rows: Int, columns: Int, padding: Int, phaseRows: Int,
                  phaseColumns: Int, into out: UnsafeMutablePointer<Float>, workers: Int) {
    let source = SendableConstPointer(x), target = SendablePointer(out), plane = phaseRows * phaseColumns
    parallelFor(channels * 4, workers: workers) { job, _ in
        let c = job / 4, phase = job % 4, ry = phase / 2, rx = phase % 2
        for b in 0 ..< batch {
            let from = source.pointer + (c * batch + b) * rows * columns, to = target.pointer + (job * batch + b) * plane
            // Phase columns j whose image column 2j + rx − padding lies inside.
            let j0 = max(0, (padding - rx + 1) / 2), j1 = min(phaseColumns, max(j0, (columns + padding - rx + 1) / 2))
            for i in 0 ..< phaseRows {
                let line = to + i * phaseColumns, y = 2 * i + ry - padding
                guard y >= 0 && y < rows && j0 < j1 else {
                    line.update(repeating: 0, count: phaseColumns)
                    continue
                }
                if j0 > 0 { line.update(repeating: 0, count: j0) }
                let row = from + y * columns + rx - padding
                for j in j0 ..< j1 { line[j] = row[2 * j] }
                if j1 < phaseColumns { (line + j1).update(repeating: 0, count: phaseColumns - j1) }
            }
        }
    }
}

/// The adjoint of `spaceToDepth` for the input gradient: each image position takes its phase
/// value (every position inside the image is written; positions no output reads get 0).
func depthToSpace(_ phases: UnsafePointer<Float>, channels: Int, batch: Int, rows: Int, columns: Int, padding: Int,
                  phaseRows: Int, phaseColumns: Int, into dx: UnsafeMutablePointer<Float>, workers: Int) {
    let source = SendableConstPointer(phases), target = SendablePointer(dx), plane = phaseRows * phaseColumns
    parallelFor(channels * batch, workers: workers) { job, _ in
        let c = job / batch, b = job % batch
        let to = target.pointer + job * rows * columns
        for y in 0 ..< rows {
            let py = y + padding, i = py / 2, ry = py % 2
            let line = to + y * columns
            guard i < phaseRows else {
                line.update(repeating: 0, count: columns)
                continue
            }
            for x in 0 ..< columns {
                let px = x + padding, j = px / 2, rx = px % 2
                line[x] = j < phaseColumns ? source.pointer[((4 * c + 2 * ry + rx) * batch + b) * plane + i * phaseColumns + j] : 0
            }
        }
    }
}
