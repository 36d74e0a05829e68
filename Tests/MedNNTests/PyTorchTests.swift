import Foundation
import MedIO
import MedImage
import MedMetrics
@testable import MedNN
import Testing
import TestSupport

/// ESPCN against PyTorch on the same weights and inputs (golden files from
/// Tools/reference/nn_reference.py; the tests do not need Python).
@Suite struct PyTorchTests {
    static func npy(_ name: String) throws -> (shape: [Int], values: [Float]) {
        let (shape, samples) = try NPYFile.read(FixturePath.url("nn/\(name).npy"))
        return (shape, samples.floats())
    }

    static func model() throws -> ESPCN<Float> {
        var rng = SplitMix64(seed: 0)
        let m = ESPCN<Float>(channels: 1, scale: 2, rng: &rng)
        let path = FixturePath.url("nn/espcn_x2.safetensors").path
        try m.load(SafeTensors.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: path))), path: path), path: path)
        return m
    }

    static func input() throws -> Tensor<Float> {
        let (s, v) = try npy("espcn_x2_input")
        return Tensor(nchw: v, batch: s[0], channels: s[1], rows: s[2], columns: s[3])
    }

    @Test func forwardEqualsPyTorch() throws {
        let y = try Self.model().forward(Self.input())
        let want = try Self.npy("espcn_x2_output").values
        let worst = zip(y.nchw, want).map { abs($0 - $1) }.max() ?? 1
        #expect(y.rows == 18 && y.columns == 14)
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test func gradientsAndAdamStepEqualPyTorch() throws {
        let m = try Self.model()
        let (ts, tv) = try Self.npy("espcn_x2_target")
        let target = Tensor<Float>(nchw: tv, batch: ts[0], channels: ts[1], rows: ts[2], columns: ts[3])
        m.zeroGradients()
        let (loss, g) = Loss.mse(m.forward(try Self.input()), target)
        m.backward(g)
        let path = FixturePath.url("nn/espcn_x2_step.safetensors").path
        let step = try SafeTensors.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: path))), path: path)
        #expect(abs(loss - Double(step.metadata["loss"] ?? "")!) < 1e-6)
        for p in m.parameters {
            let want = try #require(step.tensors["grad." + p.name]).values
            let scale = want.map(abs).max() ?? 1
            let worst = zip(p.gradient, want).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= 1e-4 * max(scale, 1e-3), "\(p.name) gradient off by \(worst) (scale \(scale))")
        }
        let adam = Adam<Float>(learningRate: 1e-3)
        adam.update(m.parameters)
        for p in m.parameters {
            let want = try #require(step.tensors[p.name]).values
            let worst = zip(p.value, want).map { abs($0 - $1) }.max() ?? 1
            #expect(worst < 2e-6, "\(p.name) after Adam off by \(worst)")
        }
    }

    @Test func safetensorsRoundTripIsByteStable() throws {
        let m = try Self.model()
        let bytes = m.safetensors(metadata: ["x": "a \"quoted\"\nline"])
        let file = try SafeTensors.decode(bytes, path: "memory")
        #expect(file.metadata["x"] == "a \"quoted\"\nline")
        var rng = SplitMix64(seed: 5)
        let again = ESPCN<Float>(channels: 1, scale: 2, rng: &rng)
        try again.load(file, path: "memory")
        #expect(again.safetensors(metadata: ["x": "a \"quoted\"\nline"]) == bytes)
        #expect(throws: SafeTensors.FormatError.self) { try SafeTensors.decode(Array(bytes.prefix(40)), path: "cut") }
        // Regression (found by Tools/hostile/check.sh): a shape whose byte count overflows Int.
        let header = Array(#"{"w":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,16]}}"#.utf8)
        let hostile = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header + [UInt8](repeating: 0, count: 16)
        #expect(throws: SafeTensors.FormatError.self) { try SafeTensors.decode(hostile, path: "hostile") }
        var wrong = ESPCN<Float>(channels: 1, scale: 4, rng: &rng)
        #expect(throws: SafeTensors.FormatError.self) { try wrong.load(file, path: "memory") }
        wrong = again
    }

    /// Tiled inference equals whole-image inference exactly.
    @Test func tiledUpscaleEqualsWhole() throws {
        let m = try Self.model()
        let model = EnhancementModel(network: m, dataMax: 255)
        let values: [UInt8] = (0 ..< 70 * 45).map { (i: Int) -> UInt8 in
            let v: Int = (i * 37 + (i / 45) * 11) % 256
            return UInt8(v)
        }
        let pixels = PixelArrayFixture.gray(rows: 45, columns: 70, values)
        let whole = model.enhance(pixels, tile: 256), tiled = model.enhance(pixels, tile: 16)
        #expect(whole == tiled)
        #expect(whole.rows == 90 && whole.columns == 140)
    }
}
