import MedImage
import Foundation
import MedImage
import MedMetrics
@testable import MedNN
import Testing
import TestSupport

/// Single-precision stride-2 convolutions on the direct kernel through space-to-depth; they
/// must equal im2col + GEMM (in single precision, and in double precision, which the gradient
/// checks verify): output, input gradient, weight and bias gradients, for odd and even sizes,
/// k 3 to 5, paddings 0 to k − 1, channel counts that do not fill a block, 1 and 2 threads.
@Suite struct StridedConvolutionTests {
    struct Result { var y: [Double], dx: [Double], dw: [Double], db: [Double] }

    static func run<T: NNScalar>(_: T.Type, cin: Int, cout: Int, kernel: Int, padding: Int, rows: Int, columns: Int,
                                 workers: Int, strided: Bool, directBackward: Bool = true, inputGradient: Bool = true) -> Result {
        var rng = SplitMix64(seed: 70)
        let conv = Conv2d<T>("c", in: cin, out: cout, kernel: kernel, stride: 2, padding: padding, rng: &rng)
        conv.stridedDirectUse = strided ? .always : .never
        conv.stridedDirectBackward = directBackward
        conv.inputGradient = inputGradient
        conv.setWorkers(workers)
        let x = Tensor<T>(channels: cin, batch: 2, rows: rows, columns: columns,
                          data: (0 ..< cin * 2 * rows * columns).map { _ in T(Float(Double.random(in: -1 ... 1, using: &rng))) })
        let y = conv.forward(x)
        let g = Tensor<T>(channels: y.channels, batch: y.batch, rows: y.rows, columns: y.columns,
                          data: (0 ..< y.count).map { _ in T(Float(Double.random(in: -1 ... 1, using: &rng))) })
        let dx = conv.backward(g)
        return Result(y: y.data.map(Double.init), dx: dx.data.map(Double.init), dw: conv.weight.gradient.map(Double.init),
                      db: conv.bias!.gradient.map(Double.init))
    }

    static func worst(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test(arguments: [(3, 1, 9, 8), (3, 0, 10, 7), (4, 1, 16, 16), (4, 2, 7, 9), (5, 2, 11, 12), (3, 2, 6, 6), (4, 3, 8, 5)])
    func equalsGEMM(_ shape: (Int, Int, Int, Int)) {
        let (k, p, rows, columns) = shape
        for workers in [1, 2] {
            let fast = Self.run(Float.self, cin: 5, cout: 11, kernel: k, padding: p, rows: rows, columns: columns, workers: workers, strided: true)
            let gemm = Self.run(Float.self, cin: 5, cout: 11, kernel: k, padding: p, rows: rows, columns: columns, workers: workers, strided: false)
            let exact = Self.run(Double.self, cin: 5, cout: 11, kernel: k, padding: p, rows: rows, columns: columns, workers: 1, strided: false)
            #expect(fast.y.count == exact.y.count)
            // Sums of 5·k² products of values in ±1 (weights ±1/√(5k²)), float rounding.
            for (name, a, b, c) in [("output", fast.y, exact.y, gemm.y), ("input gradient", fast.dx, exact.dx, gemm.dx),
                                    ("weight gradient", fast.dw, exact.dw, gemm.dw), ("bias gradient", fast.db, exact.db, gemm.db)] {
                #expect(Self.worst(a, b) < 2e-5, "k\(k) p\(p) \(rows)×\(columns): \(name) off by \(Self.worst(a, b))")
                #expect(Self.worst(c, b) < 2e-5, "GEMM path k\(k): \(name) off by \(Self.worst(c, b))")
            }
        }
    }

    /// The default: the forward direct, backward on im2col + GEMM (columns made from the input).
    @Test func directForwardWithGEMMBackward() {
        let fast = Self.run(Float.self, cin: 5, cout: 7, kernel: 4, padding: 1, rows: 13, columns: 10, workers: 2, strided: true,
                            directBackward: false)
        let exact = Self.run(Double.self, cin: 5, cout: 7, kernel: 4, padding: 1, rows: 13, columns: 10, workers: 1, strided: false)
        for (a, b) in [(fast.y, exact.y), (fast.dx, exact.dx), (fast.dw, exact.dw), (fast.db, exact.db)] {
            #expect(Self.worst(a, b) < 2e-5)
        }
        var rng = SplitMix64(seed: 1)
        #expect(Conv2d<Float>("c", in: 2, out: 2, kernel: 4, stride: 2, padding: 1, rng: &rng).stridedDirect)
        #expect(!Conv2d<Float>("c", in: 2, out: 2, kernel: 3, stride: 2, padding: 1, rng: &rng).stridedDirect)
        #expect(!Conv2d<Double>("c", in: 2, out: 2, kernel: 4, stride: 2, padding: 1, rng: &rng).stridedDirect)
    }

    @Test func withoutTheInputGradient() {
        let fast = Self.run(Float.self, cin: 3, cout: 4, kernel: 3, padding: 1, rows: 9, columns: 9, workers: 2, strided: true, inputGradient: false)
        let exact = Self.run(Double.self, cin: 3, cout: 4, kernel: 3, padding: 1, rows: 9, columns: 9, workers: 1, strided: false)
        #expect(fast.dx.allSatisfy { $0 == 0 })
        #expect(Self.worst(fast.dw, exact.dw) < 2e-5)
    }

    @Test func resultsDoNotDependOnTheThreadCount() {
        KernelCopies.steady {
            let one = Self.run(Float.self, cin: 6, cout: 9, kernel: 4, padding: 1, rows: 40, columns: 36, workers: 1, strided: true)
            let two = Self.run(Float.self, cin: 6, cout: 9, kernel: 4, padding: 1, rows: 40, columns: 36, workers: 2, strided: true)
            #expect(one.y == two.y && one.dx == two.dx && one.dw == two.dw)
        }
    }
}
