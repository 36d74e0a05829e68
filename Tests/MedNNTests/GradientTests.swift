import Foundation
import MedMetrics
@testable import MedNN
import Testing
import TestSupport

/// Every layer's backward against central finite differences, in double precision.
@Suite struct GradientTests {
    static func random(_ n: Int, _ rng: inout SplitMix64) -> [Double] {
        (0 ..< n).map { _ in Double.random(in: -1 ... 1, using: &rng) }
    }

    /// Checks dL/dx and dL/dθ of `forward` for L = Σ w ⊙ forward(x) with random w.
    static func check(_ layer: some Layer<Double>, input: Tensor<Double>, tolerance: Double = 1e-6) {
        var rng = SplitMix64(seed: 99)
        let out = layer.forward(input)
        let w = random(out.count, &rng)
        func loss(_ x: Tensor<Double>) -> Double { zip(layer.forward(x).data, w).reduce(0) { $0 + $1.0 * $1.1 } }
        _ = layer.forward(input)
        for p in layer.parameters { p.zeroGradient() }
        let g = layer.backward(Tensor(channels: out.channels, batch: out.batch, rows: out.rows, columns: out.columns, data: w))
        let h = 1e-6
        var worst = 0.0
        for i in Swift.stride(from: 0, to: input.count, by: max(1, input.count / 40)) {
            var a = input, b = input
            a.data[i] += h
            b.data[i] -= h
            worst = max(worst, abs((loss(a) - loss(b)) / (2 * h) - g.data[i]))
        }
        #expect(worst < tolerance, "input gradient off by \(worst)")
        // Buffers (running statistics) have no gradient: they are not trained.
        for p in layer.parameters where !p.isBuffer {
            let analytic = p.gradient
            var worstP = 0.0
            for i in Swift.stride(from: 0, to: p.value.count, by: max(1, p.value.count / 40)) {
                let v = p.value[i]
                p.value[i] = v + h
                let up = loss(input)
                p.value[i] = v - h
                let down = loss(input)
                p.value[i] = v
                worstP = max(worstP, abs((up - down) / (2 * h) - analytic[i]))
            }
            #expect(worstP < tolerance, "\(p.name) gradient off by \(worstP)")
        }
    }

    static func tensor(_ c: Int, _ b: Int, _ h: Int, _ w: Int, seed: UInt64) -> Tensor<Double> {
        var rng = SplitMix64(seed: seed)
        return Tensor(channels: c, batch: b, rows: h, columns: w, data: random(c * b * h * w, &rng))
    }

    @Test(arguments: [(3, 1), (5, 2), (1, 0), (3, 0)])
    func conv2d(kernel: Int, padding: Int) {
        var rng = SplitMix64(seed: 1)
        Self.check(Conv2d<Double>("c", in: 3, out: 4, kernel: kernel, padding: padding, rng: &rng),
                   input: Self.tensor(3, 2, 7, 6, seed: 2))
    }

    @Test func tanh() { Self.check(Tanh<Double>(), input: Self.tensor(2, 2, 4, 5, seed: 3)) }

    @Test(arguments: [2, 3])
    func pixelShuffle(r: Int) { Self.check(PixelShuffle<Double>(r), input: Self.tensor(2 * r * r, 2, 3, 4, seed: 4)) }

    @Test func mseGradient() {
        let p = Self.tensor(1, 2, 3, 3, seed: 5), t = Self.tensor(1, 2, 3, 3, seed: 6)
        let (_, g) = Loss.mse(p, t)
        for i in Swift.stride(from: 0, to: p.count, by: 3) {
            var a = p, b = p
            a.data[i] += 1e-6
            b.data[i] -= 1e-6
            #expect(abs((Loss.mse(a, t).value - Loss.mse(b, t).value) / 2e-6 - g.data[i]) < 1e-7)
        }
    }

    @Test func wholeESPCN() {
        var rng = SplitMix64(seed: 7)
        let model = ESPCN<Double>(channels: 1, scale: 2, rng: &rng)
        let x = Self.tensor(1, 2, 6, 5, seed: 8), target = Self.tensor(1, 2, 12, 10, seed: 9)
        func loss() -> Double { Loss.mse(model.forward(x), target).value }
        model.zeroGradients()
        let (_, g) = Loss.mse(model.forward(x), target)
        model.backward(g)
        for p in model.parameters {
            for i in Swift.stride(from: 0, to: p.value.count, by: max(1, p.value.count / 10)) {
                let v = p.value[i], analytic = p.gradient[i]
                p.value[i] = v + 1e-6
                let up = loss()
                p.value[i] = v - 1e-6
                let down = loss()
                p.value[i] = v
                #expect(abs((up - down) / 2e-6 - analytic) < 1e-7, "\(p.name)[\(i)]")
            }
        }
    }

    /// The GEMM convolution equals a naive one (PyTorch's cross-correlation, zero padding).
    @Test func convEqualsNaive() {
        var rng = SplitMix64(seed: 10)
        let conv = Conv2d<Double>("c", in: 2, out: 3, kernel: 3, padding: 1, rng: &rng)
        let x = Self.tensor(2, 2, 5, 4, seed: 11)
        let y = conv.forward(x)
        for o in 0 ..< 3 { for b in 0 ..< 2 { for r in 0 ..< 5 { for c in 0 ..< 4 {
            var s = conv.bias!.value[o]
            for i in 0 ..< 2 { for ky in 0 ..< 3 { for kx in 0 ..< 3 {
                let sr = r + ky - 1, sc = c + kx - 1
                guard sr >= 0, sr < 5, sc >= 0, sc < 4 else { continue }
                s += conv.weight.value[((o * 2 + i) * 3 + ky) * 3 + kx] * x.data[((i * 2 + b) * 5 + sr) * 4 + sc]
            } } }
            #expect(abs(s - y.data[((o * 2 + b) * 5 + r) * 4 + c]) < 1e-12)
        } } } }
    }
}

import MedImage

enum PixelArrayFixture {
    static func gray(rows: Int, columns: Int, _ values: [UInt8]) -> PixelArray {
        PixelArray(rows: rows, columns: columns, samples: .uint8(values))
    }
}

@Suite struct FastMathTests {
    /// The vectorised tanh against double-precision tanh over the range that matters.
    @Test func tanhIsAccurate() {
        var values = (-2000 ... 2000).map { Float($0) / 200 } + [1e-6, -1e-6, 0.004, 30, -30, 90, -90]
        let want = values.map { Foundation.tanh(Double($0)) }
        values.withUnsafeMutableBufferPointer { FastMath.tanh($0) }
        let worst = zip(values, want).map { abs(Double($0) - $1) }.max() ?? 1
        #expect(worst < 3e-7, "largest error \(worst)")
    }
}

@Suite struct ThreadingTests {
    /// Own parallelism (bands forward, batch items backward) gives the same numbers as one thread.
    @Test func resultsDoNotDependOnTheThreadCount() {
        func run(_ threads: Int) -> ([Float], [[Float]]) {
            var rng = SplitMix64(seed: 3)
            let net = ESPCN<Float>(channels: 1, scale: 2, rng: &rng)
            net.setThreads(threads)
            let x = Tensor<Float>(channels: 1, batch: 4, rows: 40, columns: 70,
                                  data: (0 ..< 4 * 40 * 70).map { _ in Float.random(in: 0 ... 1, using: &rng) })
            let y = Tensor<Float>(channels: 1, batch: 4, rows: 80, columns: 140,
                                  data: (0 ..< 4 * 80 * 140).map { _ in Float.random(in: 0 ... 1, using: &rng) })
            net.zeroGradients()
            let out = net.forward(x)
            net.backward(Loss.mse(out, y).gradient)
            return (out.data, net.parameters.map(\.gradient))
        }
        let (one, two) = KernelCopies.steady { (run(1), run(2)) }
        #expect(one.0 == two.0)
        #expect(one.1 == two.1)
    }

    /// Adam splits large parameters over its threads: the same values for any count, and the
    /// update rule's values (Adam and AdamW) to single-precision rounding.
    @Test(arguments: [0.0, 0.01])
    func adamDoesNotDependOnTheThreadCount(decay: Double) {
        let n = 100_003
        func run<T: NNScalar>(_ type: T.Type, workers: Int) -> [T] {
            var rng = SplitMix64(seed: 9)
            let p = Parameter<T>(name: "w", shape: [n], value: (0 ..< n).map { _ in T(Float.random(in: -1 ... 1, using: &rng)) })
            let adam = Adam<T>(learningRate: 1e-3, workers: workers)
            adam.weightDecay = decay
            for _ in 0 ..< 3 {
                p.gradient = (0 ..< n).map { _ in T(Float.random(in: -1 ... 1, using: &rng)) }
                adam.update([p])
            }
            return p.value
        }
        // Bit-for-bit across runs: no other test may switch the kernel copies meanwhile (the
        // AVX-512, AVX2 and SSE copies round differently; CI once caught that race here).
        let (one, two, three) = KernelCopies.steady {
            (run(Float.self, workers: 1), run(Float.self, workers: 2), run(Float.self, workers: 3))
        }
        #expect(one == two)
        #expect(one == three)
        let exact = run(Double.self, workers: 1)
        let worst = zip(one, exact).map { abs(Double($0) - $1) }.max() ?? 1
        #expect(worst < 1e-6, "float Adam off the double-precision rule by \(worst)")
        #expect(zip(one, exact).contains { Double($0) != $1 }, "the float path ran in double precision")
    }

    /// Changing OpenBLAS's thread count while other threads are inside threaded BLAS calls (as
    /// building a network does) must neither hang those calls nor change their results. The
    /// window is narrow: this did not hang in plain runs without `BLASThreads.gate`; the hang it
    /// guards against showed under ThreadSanitizer, where the whole test suite runs slower.
    /// The limit catches a hang, not slowness: under ThreadSanitizer on two cores, beside the
    /// classifier tests' full-size networks, one run took 9.4 minutes to finish correctly.
    @Test(.timeLimit(.minutes(15)))
    func blasThreadChangesDuringMultiplications() {
        let n = 128
        var rng = SplitMix64(seed: 4)
        let a = (0 ..< n * n).map { _ in Double.random(in: -1 ... 1, using: &rng) }
        let b = (0 ..< n * n).map { _ in Double.random(in: -1 ... 1, using: &rng) }
        @Sendable func multiply() -> [Double] {
            var c = [Double](repeating: 0, count: n * n)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        Double.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: pa.baseAddress!, lda: n,
                                    b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
            return c
        }
        let want = multiply()
        // An NSLock, which ThreadSanitizer follows (it does not see into Synchronization's Mutex).
        final class Worst: @unchecked Sendable {
            let lock = NSLock()
            var value = 0.0
        }
        let worst = Worst()
        DispatchQueue.concurrentPerform(iterations: 3) { t in
            for i in 0 ..< (t == 0 ? 1000 : 200) {
                if t == 0 {
                    BLASThreads.set(i % 2 + 1)
                } else {
                    let d = zip(multiply(), want).map { abs($0 - $1) }.max() ?? 1
                    worst.lock.lock()
                    worst.value = max(worst.value, d)
                    worst.lock.unlock()
                }
            }
        }
        BLASThreads.set(1)
        #expect(worst.value < 1e-12)
    }
}

/// The layers SRResNet, Swift-SRGAN and the discriminator add.
@Suite struct MoreGradientTests {
    typealias G = GradientTests

    @Test(arguments: [(3, 1, 2, true), (3, 1, 2, false), (4, 1, 2, true), (1, 0, 2, false)])
    func stridedConv(kernel: Int, padding: Int, stride: Int, bias: Bool) {
        var rng = SplitMix64(seed: 11)
        let conv = Conv2d<Double>("c", in: 3, out: 4, kernel: kernel, stride: stride, padding: padding, bias: bias, rng: &rng)
        #expect(conv.parameters.count == (bias ? 2 : 1))
        G.check(conv, input: G.tensor(3, 2, 7, 6, seed: 12))
    }

    @Test(arguments: [(3, 1, true), (3, 2, false), (9, 1, true)])
    func depthwise(kernel: Int, stride: Int, bias: Bool) {
        var rng = SplitMix64(seed: 13)
        G.check(DepthwiseConv2d<Double>("d", channels: 3, kernel: kernel, stride: stride, bias: bias, rng: &rng),
                input: G.tensor(3, 2, 9, 8, seed: 14))
    }

    @Test(arguments: [1, 3])
    func prelu(count: Int) {
        let p = PReLU<Double>("p", count: count)
        for i in p.weight.value.indices { p.weight.value[i] = 0.1 + 0.2 * Double(i) }
        G.check(p, input: G.tensor(3, 2, 4, 5, seed: 15))
    }

    @Test func activations() {
        G.check(LeakyReLU<Double>(slope: 0.2), input: G.tensor(2, 2, 4, 5, seed: 16))
        G.check(ReLU<Double>(), input: G.tensor(2, 2, 4, 5, seed: 31))
        G.check(MaxPool2d<Double>(kernel: 2), input: G.tensor(2, 2, 5, 6, seed: 32))
        G.check(Sigmoid<Double>(), input: G.tensor(2, 2, 4, 5, seed: 17))
        G.check(Affine<Double>(0.5, 0.5), input: G.tensor(2, 2, 4, 5, seed: 18))
    }

    @Test(arguments: [true, false])
    func batchNorm(training: Bool) {
        let bn = BatchNorm2d<Double>("bn", channels: 3)
        for c in 0 ..< 3 {
            bn.weight.value[c] = 0.5 + Double(c)
            bn.bias.value[c] = 0.1 * Double(c)
            bn.runningMean.value[c] = 0.2 * Double(c) - 0.1
            bn.runningVar.value[c] = 0.7 + 0.3 * Double(c)
        }
        bn.training = training
        G.check(bn, input: G.tensor(3, 2, 4, 5, seed: 19))
    }

    @Test(arguments: [(1, 1), (3, 2), (6, 6)])
    func adaptivePool(rows: Int, columns: Int) {
        G.check(AdaptiveAvgPool2d<Double>(rows: rows, columns: columns), input: G.tensor(2, 2, 7, 6, seed: 20))
    }

    @Test func linear() {
        var rng = SplitMix64(seed: 21)
        G.check(Linear<Double>("l", in: 2 * 3 * 2, out: 5, rng: &rng), input: G.tensor(2, 3, 3, 2, seed: 22))
    }

    @Test func residualBlock() {
        var rng = SplitMix64(seed: 23)
        let block = Residual<Double>(Sequential([
            Conv2d<Double>("a", in: 3, out: 3, kernel: 3, bias: false, rng: &rng), BatchNorm2d<Double>("b", channels: 3),
            PReLU<Double>("p", count: 3), Conv2d<Double>("c", in: 3, out: 3, kernel: 3, rng: &rng),
        ]))
        G.check(block, input: G.tensor(3, 2, 5, 4, seed: 24))
    }

    /// SRResNet and Swift-SRGAN end to end (2 blocks, narrow), batch norm in training mode.
    @Test(arguments: [false, true])
    func wholeGenerator(separable: Bool) {
        var rng = SplitMix64(seed: 25)
        let m = SRResNet<Double>(channels: 1, scale: 2, separable: separable, blocks: 2, features: 4, rng: &rng)
        // A generator skips its input's gradient (the input is data); on here, to check the whole chain.
        ((m.body.layers.first as? Sequential<Double>)?.layers.first as? Conv2d<Double>)?.inputGradient = true
        G.check(m.body, input: G.tensor(1, 2, 5, 4, seed: 26), tolerance: 1e-5)
    }

    /// The discriminator's input gradient (what the generator's adversarial loss uses).
    @Test(arguments: [false, true])
    func discriminatorInputGradient(separable: Bool) {
        var rng = SplitMix64(seed: 27)
        let d = Discriminator<Double>(channels: 1, separable: separable, features: [4, 4, 6, 6, 8, 8, 8, 8], pool: 2, hidden: 6, rng: &rng)
        let x = G.tensor(1, 2, 16, 16, seed: 28)
        let (_, g) = Loss.bceWithLogits(d.forward(x), target: 1)
        let dx = d.backward(g)
        var worst = 0.0
        for i in Swift.stride(from: 0, to: x.count, by: 17) {
            var a = x, b = x
            a.data[i] += 1e-6
            b.data[i] -= 1e-6
            let numeric = (Loss.bceWithLogits(d.forward(a), target: 1).value - Loss.bceWithLogits(d.forward(b), target: 1).value) / 2e-6
            worst = max(worst, abs(numeric - dx.data[i]))
        }
        #expect(worst < 1e-6, "input gradient off by \(worst)")
    }

    @Test func losses() {
        let p = G.tensor(1, 2, 4, 3, seed: 29), t = G.tensor(1, 2, 4, 3, seed: 30)
        func numeric(_ f: (Tensor<Double>) -> Double, _ i: Int) -> Double {
            var a = p, b = p
            a.data[i] += 1e-6
            b.data[i] -= 1e-6
            return (f(a) - f(b)) / 2e-6
        }
        let l1 = Loss.l1(p, t), bce = Loss.bceWithLogits(p, target: 1), tv = Loss.totalVariation(p)
        for i in 0 ..< p.count {
            #expect(abs(numeric({ Loss.l1($0, t).value }, i) - l1.gradient.data[i]) < 1e-7)
            #expect(abs(numeric({ Loss.bceWithLogits($0, target: 1).value }, i) - bce.gradient.data[i]) < 1e-7)
            #expect(abs(numeric({ Loss.totalVariation($0).value }, i) - tv.gradient.data[i]) < 1e-6)
        }
        // BCE with logits at 0 is ln 2 for either label; large logits stay finite.
        let zero = Tensor<Double>(channels: 1, batch: 1, rows: 1, columns: 1, data: [0])
        #expect(abs(Loss.bceWithLogits(zero, target: 0).value - log(2)) < 1e-12)
        let huge = Tensor<Double>(channels: 1, batch: 1, rows: 1, columns: 1, data: [800])
        #expect(Loss.bceWithLogits(huge, target: 0).value == 800)
    }
}

/// Single-precision stride-1 convolutions run the direct kernel (no columns); double precision
/// runs im2col + GEMM, which the gradient checks above verify. The two must agree: forward, input
/// gradient, weight and bias gradients, for every kernel copy and thread count, on shapes with
/// channel counts that do not fill a block of eight, odd sizes, valid and "same" padding.
@Suite struct DirectConvolutionTests {
    @Test(arguments: [(3, 13, 3, 1), (5, 1, 9, 4), (1, 16, 5, 2), (8, 9, 3, 0), (4, 7, 2, 1), (17, 20, 3, 2)],
          [Int32(0), 1, 2])
    func matchesDoublePrecision(_ shape: (Int, Int, Int, Int), level: Int32) {
        let (cin, cout, k, padding) = shape
        var rng = SplitMix64(seed: UInt64(cin * 100 + cout))
        let reference = Conv2d<Double>("c", in: cin, out: cout, kernel: k, padding: padding, rng: &rng)
        let (batch, rows, columns) = (2, 13, 17)
        let x = (0 ..< cin * batch * rows * columns).map { _ in Double.random(in: -1 ... 1, using: &rng) }
        let xd = Tensor<Double>(channels: cin, batch: batch, rows: rows, columns: columns, data: x)
        let yd = reference.forward(xd)
        let g = (0 ..< yd.count).map { _ in Double.random(in: -1 ... 1, using: &rng) }
        for p in reference.parameters { p.zeroGradient() }
        let dxd = reference.backward(Tensor(channels: cout, batch: batch, rows: yd.rows, columns: yd.columns, data: g))
        for workers in [1, 2] {
            let conv = Conv2d<Float>("c", in: cin, out: cout, kernel: k, padding: padding, rng: &rng)
            #expect(conv.direct)
            conv.weight.value = reference.weight.value.map(Float.init)
            conv.bias!.value = reference.bias!.value.map(Float.init)
            conv.setWorkers(workers)
            let (y, dx) = KernelCopies.with(level: level) {
                let y = conv.forward(Tensor(channels: cin, batch: batch, rows: rows, columns: columns, data: x.map(Float.init)))
                let dx = conv.backward(Tensor(channels: cout, batch: batch, rows: y.rows, columns: y.columns, data: g.map(Float.init)))
                return (y, dx)
            }
            func worst(_ a: [Float], _ b: [Double]) -> Double {
                zip(a, b).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? .infinity
            }
            #expect(y.rows == yd.rows && y.columns == yd.columns)
            #expect(worst(y.data, yd.data) < 1e-5, "forward")
            #expect(worst(dx.data, dxd.data) < 1e-5, "input gradient")
            #expect(worst(conv.weight.gradient, reference.weight.gradient) < 1e-4, "weight gradient")
            #expect(worst(conv.bias!.gradient, reference.bias!.gradient) < 1e-4, "bias gradient")
        }
    }
}

extension DirectConvolutionTests {
    /// A generator's first layer skips its input gradient: the same weight and bias gradients,
    /// zeros for the input (single and double precision, the direct and the im2col paths).
    @Test func firstLayerSkipsOnlyTheInputGradient() {
        func gradients<T: NNScalar>(_: T.Type, inputGradient: Bool) -> ([T], [T], [T]) {
            var rng = SplitMix64(seed: 5)
            let conv = Conv2d<T>("c", in: 2, out: 5, kernel: 3, rng: &rng)
            conv.inputGradient = inputGradient
            let x = Tensor<T>(channels: 2, batch: 3, rows: 9, columns: 11,
                              data: (0 ..< 2 * 3 * 99).map { _ in T(Double.random(in: -1 ... 1, using: &rng)) })
            let y = conv.forward(x)
            let dx = conv.backward(Tensor(channels: 5, batch: 3, rows: y.rows, columns: y.columns,
                                          data: (0 ..< y.count).map { _ in T(Double.random(in: -1 ... 1, using: &rng)) }))
            return (conv.weight.gradient, conv.bias!.gradient, dx.data)
        }
        let (full, first) = KernelCopies.steady {
            (gradients(Float.self, inputGradient: true), gradients(Float.self, inputGradient: false))
        }
        #expect(full.0 == first.0 && full.1 == first.1)
        #expect(full.2.contains { $0 != 0 } && first.2.allSatisfy { $0 == 0 })
        let fullD = gradients(Double.self, inputGradient: true), firstD = gradients(Double.self, inputGradient: false)
        #expect(fullD.0 == firstD.0 && fullD.1 == firstD.1)
        #expect(fullD.2.contains { $0 != 0 } && firstD.2.allSatisfy { $0 == 0 })
    }
}

extension DirectConvolutionTests {
    /// Inference folds each batch norm into the convolution before it: the same output as the
    /// norm applied on its own (running statistics made non-trivial by training-mode passes),
    /// and back in training mode nothing stays folded.
    @Test func foldedBatchNormGivesTheSameOutput() {
        var rng = SplitMix64(seed: 31)
        let conv = Conv2d<Float>("c", in: 3, out: 6, kernel: 3, bias: false, rng: &rng)
        let norm = BatchNorm2d<Float>("n", channels: 6)
        let block = Sequential<Float>([conv, norm, PReLU<Float>("p", count: 6)])
        for p in norm.parameters where !p.isBuffer { p.value = p.value.indices.map { _ in Float.random(in: 0.5 ... 1.5, using: &rng) } }
        func input() -> Tensor<Float> {
            Tensor(channels: 3, batch: 2, rows: 10, columns: 12, data: (0 ..< 720).map { _ in Float.random(in: -2 ... 3, using: &rng) })
        }
        block.setTraining(true)
        for _ in 0 ..< 3 { _ = block.forward(input()) }
        let x = input()
        block.setTraining(false)
        #expect(norm.folded && conv.foldedNorm != nil)
        let folded = block.forward(x)
        conv.foldedNorm = nil
        norm.folded = false
        let separate = block.forward(x)
        let worst = zip(folded.data, separate.data).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 1
        #expect(worst < 1e-5, "folded differs by \(worst)")
        block.setTraining(false)
        block.setTraining(true)
        #expect(!norm.folded && conv.foldedNorm == nil)
    }
}
