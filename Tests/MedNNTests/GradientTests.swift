import Foundation
import MedMetrics
@testable import MedNN
import Testing

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
        for p in layer.parameters {
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
            var s = conv.bias.value[o]
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
        let one = run(1), two = run(2)
        #expect(one.0 == two.0)
        #expect(one.1 == two.1)
    }
}
