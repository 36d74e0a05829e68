import Foundation
@testable import MedNN
import Testing
import TestSupport

/// Pooling and dropout: gradients against finite differences (double precision) and outputs
/// and gradients against PyTorch (Fixtures/nn/layers/pooling.safetensors).
@Suite struct PoolingTests {
    typealias G = GradientTests

    /// Cases of layers_golden.py and the same layers here.
    static func layers<T: NNScalar>(_: T.Type) -> [(String, any Layer<T>)] {
        [("maxpool_k2", MaxPool2d<T>(kernel: 2)),
         ("maxpool_k3_s2_p1", MaxPool2d<T>(kernel: 3, stride: 2, padding: 1)),
         ("maxpool_k3_s2_ceil", MaxPool2d<T>(kernel: 3, stride: 2, ceilMode: true)),
         ("avgpool_k3_s2_p1", AvgPool2d<T>(kernel: 3, stride: 2, padding: 1)),
         ("avgpool_k3_s2_p1_nopad", AvgPool2d<T>(kernel: 3, stride: 2, padding: 1, countIncludePad: false)),
         ("avgpool_k2_ceil", AvgPool2d<T>(kernel: 2, ceilMode: true)),
         ("avgpool_k3_s2_p1_ceil", AvgPool2d<T>(kernel: 3, stride: 2, padding: 1, ceilMode: true)),
         ("adaptive_1", AdaptiveAvgPool2d<T>(size: 1)),
         ("adaptive_3x2", AdaptiveAvgPool2d<T>(rows: 3, columns: 2))]
    }

    @Test(arguments: [1, 2])
    func equalsPyTorch(workers: Int) throws {
        let golden = try LayerGolden("pooling")
        for (name, layer) in Self.layers(Double.self) {
            layer.setWorkers(workers)
            try golden.check(layer, name, tolerance: 1e-6)
        }
        for (name, layer) in Self.layers(Float.self) {
            layer.setWorkers(workers)
            try golden.check(layer, name, tolerance: 1e-6)
        }
    }

    /// Max pooling's gradient is piecewise constant; inputs without ties keep the finite
    /// differences on one piece.
    @Test func gradients() {
        for (name, layer) in Self.layers(Double.self) {
            var x = G.tensor(2, 2, 9, 8, seed: 40)
            if name.hasPrefix("maxpool") { for i in x.data.indices { x.data[i] += Double(i) * 1e-3 } }
            G.check(layer, input: x)
        }
    }

    @Test func maxPoolKeepsTheFirstOfEqualMaxima() {
        let x = Tensor<Double>(channels: 1, batch: 1, rows: 2, columns: 2, data: [3, 3, 3, 3])
        let pool = MaxPool2d<Double>(kernel: 2)
        _ = pool.forward(x)
        #expect(pool.indices == [0])
        let d = pool.backward(Tensor(channels: 1, batch: 1, rows: 1, columns: 1, data: [5]))
        #expect(d.data == [5, 0, 0, 0])
    }

    @Test func poolOutputSizes() {
        // PyTorch: MaxPool2d(3, 2, 0, ceil_mode=True) on 8 → 4 (the window at 8 would start past the end).
        #expect(PoolGeometry(kernel: 3, stride: 2, ceilMode: true).outputSize(8) == 4)
        #expect(PoolGeometry(kernel: 3, stride: 2, ceilMode: true).outputSize(9) == 4)
        #expect(PoolGeometry(kernel: 2, ceilMode: true).outputSize(7) == 4)
        #expect(PoolGeometry(kernel: 2).outputSize(7) == 3)
        #expect(PoolGeometry(kernel: 3, stride: 2, padding: 1).outputSize(9) == 5)
        #expect(PoolGeometry(kernel: 3).outputSize(2) == 0)
    }

    @Test func dropout() {
        let x = Tensor<Double>(channels: 4, batch: 3, rows: 40, columns: 50, data: Array(repeating: 1, count: 24000))
        let layer = Dropout<Double>(probability: 0.3, seed: 7)
        let y = layer.forward(x)
        let kept = y.data.filter { $0 != 0 }
        // Kept values are scaled by 1/(1 − p); about 70 % kept (binomial sd ≈ 0.3 %).
        #expect(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-12 })
        #expect(abs(Double(kept.count) / 24000 - 0.7) < 0.015)
        // Backward applies the same mask.
        let g = layer.backward(Tensor(channels: 4, batch: 3, rows: 40, columns: 50, data: Array(repeating: 2, count: 24000)))
        #expect(zip(g.data, y.data).allSatisfy { $0 == 2 * $1 })
        // The next call draws a new mask; the same seed and call number give the same mask, on any thread count.
        let second = layer.forward(x)
        #expect(second.data != y.data)
        let again = Dropout<Double>(probability: 0.3, seed: 7)
        again.setWorkers(2)
        #expect(again.forward(x).data == y.data)
        again.calls = 1
        #expect(again.forward(x).data == second.data)
        #expect(Dropout<Double>(probability: 0.3, seed: 8).forward(x).data != y.data)
        // Inference: the identity, forward and backward.
        layer.setTraining(false)
        #expect(layer.forward(x).data == x.data)
        #expect(layer.backward(x).data == x.data)
        // p = 1 drops everything (PyTorch gives zeros); p = 0 is the identity.
        #expect(Dropout<Double>(probability: 1).forward(x).data.allSatisfy { $0 == 0 })
        #expect(Dropout<Double>(probability: 0).forward(x).data == x.data)
    }

    @Test func dropoutGradient() {
        // Each finite difference must see the same mask: the same call number every time.
        let layer = Dropout<Double>(probability: 0.4, seed: 3)
        let x = G.tensor(2, 2, 5, 4, seed: 41)
        let y = layer.forward(x)
        layer.calls = 0
        let w = G.tensor(2, 2, 5, 4, seed: 42)
        let d = layer.backward(w)
        for i in 0 ..< x.count {
            var a = x
            a.data[i] += 1
            layer.calls = 0
            let up = zip(layer.forward(a).data, w.data).reduce(0) { $0 + $1.0 * $1.1 }
            let base = zip(y.data, w.data).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(up - base - d.data[i]) < 1e-12)
        }
    }

    @Test func flatten() {
        let x = G.tensor(3, 2, 4, 5, seed: 43)
        let y = Flatten<Double>().forward(x)
        #expect(y.channels == 60 && y.batch == 2 && y.rows == 1)
        // Item b's features are its NCHW values in order.
        let nchw = x.nchw
        for b in 0 ..< 2 { for f in 0 ..< 60 { #expect(y.data[f * 2 + b] == nchw[b * 60 + f]) } }
        G.check(Flatten<Double>(), input: x)
    }
}
