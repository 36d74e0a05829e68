import MedImage
import MedKernels
import Foundation

/// Stride-1 k×k convolutions in single precision without a column matrix (`Kernels.convRows`):
/// each image is zero-padded once, and blocks of output channels × output positions are summed
/// in registers straight from it. im2col + GEMM writes a `C·k·k × positions` matrix, which
/// OpenBLAS then packs again, so two thirds of its time went to moving data; here the arithmetic
/// runs at 130–160 GFLOP/s on one core (AVX-512), about twice OpenBLAS's (Haswell kernels)
/// sgemm on the same layers. The input gradient is the same kernel on the output gradient with
/// the weights transposed and their taps reversed.
///
/// Tensors are `[channels, batch, rows, columns]`; every output value is summed in the same order
/// (input channel, then tap) however rows are split over threads.
final class DirectConvolution: @unchecked Sendable {
    let kernel: Int
    /// The packed weights (the padded images live in `Scratch`, shared by all layers).
    private var packed: [Float] = []

    init(kernel: Int) { self.kernel = kernel }

    /// `out` (`cout` channels, `rows + 2·padding − k + 1` square-wise) = bias + x ⊛ weight.
    /// - Parameters:
    ///   - adjoint: the input gradient's convolution: `weight` is the forward layer's (OIHW with
    ///     O = `cin` here, the gradient's channels), used transposed with reversed taps.
    ///   - tanh: applies tanh to each band of the output as soon as it is computed (a fused
    ///     `Tanh` layer: no separate pass over the whole output, and on every worker).
    func run(_ x: UnsafePointer<Float>, cin: Int, batch: Int, rows: Int, columns: Int, padding: Int,
             weight: UnsafePointer<Float>, cout: Int, adjoint: Bool, bias: UnsafePointer<Float>?, tanh: Bool = false,
             into out: UnsafeMutablePointer<Float>, workers: Int, bands: [RowBand]) {
        let k = kernel
        let pr = rows + 2 * padding, pc = columns + 2 * padding
        let oh = pr - k + 1, ow = pc - k + 1
        let size = Kernels.convPaddedSize(channels: cin, rows: rows, columns: columns, padding: padding, k: k)
        let weights = cout * cin * k * k
        if packed.count < weights { packed = [Float](repeating: 0, count: weights) }
        packed.withUnsafeMutableBufferPointer { p in
            if adjoint {
                Kernels.convPack(weight, cout: cin, cin: cout, k: k, adjoint: true, into: p.baseAddress)
            } else {
                Kernels.convPack(weight, cout: cout, cin: cin, k: k, adjoint: false, into: p.baseAddress)
            }
        }
        Scratch.shared.with(count: batch * size) { pad in
            let images = SendablePointer(pad)
            Self.pad(x, cin: cin, batch: batch, rows: rows, columns: columns, padding: padding, k: k, into: images, workers: workers)
            let target = SendablePointer(out), biases = bias.map { SendableConstPointer($0) }
            packed.withUnsafeBufferPointer { w in
                let weights = SendableConstPointer(w.baseAddress!)
                parallelFor(bands.count, workers: workers) { band, _ in
                    let (b, y0, y1) = bands[band].parts
                    Kernels.convRows(images.pointer + b * size, cin: cin, pr: pr, pc: pc, k: k, packed: weights.pointer, cout: cout,
                                     bias: biases?.pointer, into: target.pointer + b * oh * ow, outStride: batch * oh * ow,
                                     ow: ow, y0: y0, y1: y1)
                    if tanh {  // while the band's rows are still in cache
                        for c in 0 ..< cout {
                            let rows = target.pointer + c * batch * oh * ow + b * oh * ow + y0 * ow
                            Kernels.tanh(rows, into: rows, count: (y1 - y0) * ow)
                        }
                    }
                }
            }
        }
    }
}

extension DirectConvolution {
    /// Zero-pads every image of `x` (`[cin, batch, rows, columns]`) into `images`, one image
    /// every `Kernels.convPaddedSize` floats; the work is split by image and by groups of channels,
    /// so one large image also uses every worker.
    static func pad(_ x: UnsafePointer<Float>, cin: Int, batch: Int, rows: Int, columns: Int, padding: Int, k: Int,
                    into images: SendablePointer<Float>, workers: Int) {
        let size = Kernels.convPaddedSize(channels: cin, rows: rows, columns: columns, padding: padding, k: k), plane = rows * columns
        let planeSize = (rows + 2 * padding) * (columns + 2 * padding)
        let parts = min(cin, max(1, (2 * workers + batch - 1) / batch))
        let source = SendableConstPointer(x)
        parallelFor(batch * parts, workers: workers) { job, _ in
            let b = job / parts, part = job % parts
            let c0 = cin * part / parts, c1 = cin * (part + 1) / parts
            let image = images.pointer + b * size
            Kernels.convPad(source.pointer + c0 * batch * plane + b * plane, channels: c1 - c0, sourceStride: batch * plane,
                            rows: rows, columns: columns, padding: padding, into: image + c0 * planeSize)
            if part == parts - 1 { Kernels.convClearSlack(image, channels: cin, rows: rows, columns: columns, padding: padding, k: k) }
        }
    }

    /// `dw` (OIHW) += the weight gradient: Σ over the batch and the output positions of the output
    /// gradient `g` times the input `x` shifted by each tap (`Kernels.convWeightGradient`). Work is split
    /// by input channel and block of output channels; each weight is summed in one fixed order.
    func weightGradient(_ x: UnsafePointer<Float>, cin: Int, batch: Int, rows: Int, columns: Int, padding: Int,
                        gradient g: UnsafePointer<Float>, cout: Int, into dw: UnsafeMutablePointer<Float>, workers: Int) {
        let k = kernel
        let pr = rows + 2 * padding, pc = columns + 2 * padding
        let oh = pr - k + 1, ow = pc - k + 1
        let size = Kernels.convPaddedSize(channels: cin, rows: rows, columns: columns, padding: padding, k: k)
        let pstride = (oh * pc + 15) & ~15, gbatch = cout * pstride
        Scratch.shared.with(count: batch * size) { pad in
            Scratch.shared.with(count: batch * gbatch) { spread in
                let images = SendablePointer(pad), grads = SendablePointer(spread)
                let source = SendableConstPointer(x), dy = SendableConstPointer(g)
                Self.pad(source.pointer, cin: cin, batch: batch, rows: rows, columns: columns, padding: padding, k: k,
                         into: images, workers: workers)
                parallelFor(batch, workers: workers) { b, _ in
                    Kernels.convSpread(dy.pointer + b * oh * ow, cout: cout, gradientStride: batch * oh * ow, oh: oh, ow: ow, pc: pc,
                                       pstride: pstride, into: grads.pointer + b * gbatch)
                }
                let jobs = Kernels.convWeightJobs(cin: cin, cout: cout), chunks = min(jobs, 16 * max(1, workers))
                let target = SendablePointer(dw)
                parallelFor(chunks, workers: workers) { chunk, _ in
                    // 0 for kernels up to 9×9, the only ones `Conv2d.direct` sends here.
                    Kernels.convWeightGradient(grads.pointer, pstride: pstride, gradientBatch: gbatch, batch: batch,
                                               padded: images.pointer, size: size, plane: pr * pc, pc: pc, k: k, cin: cin,
                                               cout: cout, job0: jobs * chunk / chunks, job1: jobs * (chunk + 1) / chunks,
                                               into: target.pointer)
                }
            }
        }
    }
}

/// Memory a layer needs only while it runs (padded images): a few buffers shared by every
/// layer of every network, so it does not grow with the number of layers (one buffer per
/// layer held 300 MB for an SRResNet inference of 128²), and is not returned to the system and
/// faulted in again at every call.
final class Scratch: @unchecked Sendable {
    static let shared = Scratch()
    // `spare` is guarded by `lock` (a pthread mutex, which ThreadSanitizer follows; it does not
    // see into Synchronization's Mutex and reports its guarded accesses as races).
    private let lock = NSLock()
    private var spare: [[Float]] = []

    /// Runs `body` on `count` floats of uninitialised scratch memory.
    func with<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        lock.lock()
        var buffer: [Float]
        // The smallest spare buffer that is large enough, else the largest (to be replaced).
        if let i = spare.indices.filter({ spare[$0].count >= count }).min(by: { spare[$0].count < spare[$1].count }) {
            buffer = spare.remove(at: i)
        } else if let i = spare.indices.max(by: { spare[$0].count < spare[$1].count }) {
            buffer = spare.remove(at: i)
        } else {
            buffer = []
        }
        lock.unlock()
        if buffer.count < count { buffer = [Float](unsafeUninitializedCapacity: count) { _, n in n = count } }
        let result = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        lock.lock()
        if spare.count < 4 { spare.append(buffer) }
        lock.unlock()
        return result
    }
}
