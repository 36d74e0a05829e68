import Foundation
@testable import MedNN
import Testing
import TestSupport

/// The losses against PyTorch (Fixtures/nn/layers/losses.safetensors, float64 reference) and
/// their gradients against finite differences.
@Suite struct LossTests {
    typealias G = GradientTests

    static func labels(_ golden: LayerGolden, _ name: String) throws -> [Int] {
        try golden.values(name + ".labels").map { Int($0) }
    }

    /// Class-index labels of a `[B, H, W]` tensor, in the order `crossEntropy` takes them.
    static func cases(_ golden: LayerGolden) throws -> [(String, (Tensor<Double>) -> (value: Double, gradient: Tensor<Double>))] {
        let target: Tensor<Double> = try golden.tensor("mse.target")
        let bceTarget: Tensor<Double> = try golden.tensor("bce.target")
        let largeTarget: Tensor<Double> = try golden.tensor("bce_large.target")
        let pos = try golden.values("bce_pos.pos_weight").map(Double.init)
        let weights = try golden.values("ce_weighted.weight").map(Double.init)
        let labels = try Self.labels(golden, "ce"), ignored = try Self.labels(golden, "ce_ignore")
        let pixels = try Self.labels(golden, "ce_pixels"), pixelWeights = try golden.values("ce_pixels.weight").map(Double.init)
        return [
            ("mse", { Loss.mse($0, target) }),
            ("l1", { Loss.l1($0, target) }),
            ("charbonnier", { Loss.charbonnier($0, target, epsilon: 1e-3) }),
            ("bce", { Loss.bceWithLogits($0, targets: bceTarget) }),
            ("bce_pos", { Loss.bceWithLogits($0, targets: bceTarget, positiveWeight: pos) }),
            ("bce_large", { Loss.bceWithLogits($0, targets: largeTarget) }),
            ("ce", { Loss.crossEntropy($0, labels: labels) }),
            ("ce_weighted", { Loss.crossEntropy($0, labels: labels, weights: weights) }),
            ("ce_smooth", { Loss.crossEntropy($0, labels: labels, labelSmoothing: 0.1) }),
            ("ce_weighted_smooth", { Loss.crossEntropy($0, labels: labels, weights: weights, labelSmoothing: 0.2) }),
            ("ce_ignore", { Loss.crossEntropy($0, labels: ignored, weights: weights, labelSmoothing: 0.2, ignoreIndex: -100) }),
            ("ce_pixels", { Loss.crossEntropy($0, labels: pixels, weights: pixelWeights, labelSmoothing: 0.1) }),
        ]
    }

    @Test func equalPyTorch() throws {
        let golden = try LayerGolden("losses")
        for (name, loss) in try Self.cases(golden) {
            let x: Tensor<Double> = try golden.tensor(name + ".input")
            let (value, gradient) = loss(x)
            let want = try golden.loss(name)
            #expect(abs(value - want) <= 1e-9 * max(1, abs(want)), "\(name): \(value), PyTorch \(want)")
            let d = LayerGolden.difference(gradient.nchw, try golden.values(name + ".grad_input"))
            #expect(d < 1e-6, "\(name) gradient off by \(d)")
        }
    }

    @Test func singlePrecisionEqualsPyTorch() throws {
        let golden = try LayerGolden("losses")
        let x: Tensor<Float> = try golden.tensor("ce_weighted_smooth.input")
        let weights = try golden.values("ce_weighted_smooth.weight").map(Double.init)
        let (value, gradient) = Loss.crossEntropy(x, labels: try Self.labels(golden, "ce"), weights: weights, labelSmoothing: 0.2)
        #expect(abs(value - (try golden.loss("ce_weighted_smooth"))) < 1e-6)
        #expect(LayerGolden.difference(gradient.nchw, try golden.values("ce_weighted_smooth.grad_input")) < 1e-6)
        let t: Tensor<Float> = try golden.tensor("bce_pos.target"), logits: Tensor<Float> = try golden.tensor("bce_pos.input")
        let bce = Loss.bceWithLogits(logits, targets: t, positiveWeight: try golden.values("bce_pos.pos_weight").map(Double.init))
        #expect(abs(bce.value - (try golden.loss("bce_pos"))) < 1e-6)
    }

    @Test func gradientsEqualFiniteDifferences() throws {
        let golden = try LayerGolden("losses")
        for (name, loss) in try Self.cases(golden) {
            let x: Tensor<Double> = try golden.tensor(name + ".input")
            let g = loss(x).gradient
            var worst = 0.0
            for i in 0 ..< x.count {
                var a = x, b = x
                a.data[i] += 1e-6
                b.data[i] -= 1e-6
                worst = max(worst, abs((loss(a).value - loss(b).value) / 2e-6 - g.data[i]))
            }
            // L1's kink lies far from every input; the rest are smooth.
            #expect(worst < 1e-6, "\(name) gradient off by \(worst)")
        }
    }

    @Test func crossEntropyEdges() {
        let x = Tensor<Double>(channels: 3, batch: 2, rows: 1, columns: 1, data: [1, 2, 3, 4, 5, 6])
        // Everything ignored: NaN (as PyTorch), no gradient.
        let none = Loss.crossEntropy(x, labels: [-1, -1], ignoreIndex: -1)
        #expect(none.value.isNaN && none.gradient.data.allSatisfy { $0 == 0 })
        // Large logits stay finite: the loss of a confident right answer is about 0.
        let big = Tensor<Double>(channels: 2, batch: 1, rows: 1, columns: 1, data: [1000, -1000])
        #expect(Loss.crossEntropy(big, labels: [0]).value == 0)
        #expect(abs(Loss.crossEntropy(big, labels: [1]).value - 2000) < 1e-9)
    }
}
