import MedImage
import Foundation
import MedImage
import MedMetrics
@testable import MedNN
import Testing
import TestSupport

/// Group and instance normalisation: gradients against finite differences (double precision),
/// outputs and gradients against PyTorch (Fixtures/nn/layers/normalisation.safetensors).
@Suite struct NormalisationTests {
    typealias G = GradientTests

    static func layers<T: NNScalar>(_: T.Type) -> [(String, any Layer<T>)] {
        [("groupnorm_2x4", GroupNorm<T>("n", groups: 2, channels: 4)),
         ("groupnorm_1x3", GroupNorm<T>("n", groups: 1, channels: 3)),
         ("groupnorm_plain", GroupNorm<T>("n", groups: 3, channels: 6, affine: false)),
         ("instancenorm", InstanceNorm2d<T>("n", channels: 3)),
         ("instancenorm_affine", InstanceNorm2d<T>("n", channels: 3, affine: true))]
    }

    @Test(arguments: [1, 2])
    func equalsPyTorch(workers: Int) throws {
        let golden = try LayerGolden("normalisation")
        for (name, layer) in Self.layers(Double.self) {
            layer.setWorkers(workers)
            try golden.check(layer, name, tolerance: 1e-6)
        }
        for (name, layer) in Self.layers(Float.self) {
            layer.setWorkers(workers)
            try golden.check(layer, name, tolerance: 1e-5)
        }
    }

    @Test func gradients() {
        var rng = SplitMix64(seed: 60)
        for (_, layer) in Self.layers(Double.self) {
            // Scale and shift away from 1 and 0, so their gradients matter.
            for p in layer.parameters { for i in p.value.indices { p.value[i] = Double.random(in: 0.5 ... 1.5, using: &rng) } }
            let channels = (layer as? GroupNorm<Double>)?.channels ?? (layer as? InstanceNorm2d<Double>)?.channels ?? 0
            G.check(layer, input: G.tensor(channels, 2, 4, 5, seed: 61))
        }
    }

    @Test func stateDictNames() {
        #expect(GroupNorm<Float>("enc.norm1", groups: 2, channels: 4).parameters.map(\.name) == ["enc.norm1.weight", "enc.norm1.bias"])
        #expect(InstanceNorm2d<Float>("n", channels: 3).parameters.isEmpty)
    }
}
