import Foundation
@testable import MedNN
import Testing
import TestSupport

/// A golden file of Tools/reference/layers_golden.py: tensors in PyTorch's layout (NCHW, or
/// `[B, C]` for logits), stored as float32.
struct LayerGolden {
    let file: SafeTensors.File

    init(_ name: String) throws {
        let path = FixturePath.url("nn/layers/\(name).safetensors").path
        file = try SafeTensors.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: path))), path: path)
    }

    func values(_ key: String) throws -> [Float] { try #require(file.tensors[key], "no tensor \(key)").values }
    func shape(_ key: String) throws -> [Int] { try #require(file.tensors[key], "no tensor \(key)").shape }

    /// `[B, C, H, W]` (or `[B, C]`, as `[C, B, 1, 1]`) as a tensor.
    func tensor<T: NNScalar>(_ key: String, as _: T.Type = T.self) throws -> Tensor<T> {
        let s = try shape(key), v = try values(key).map { T($0) }
        let full = s + Array(repeating: 1, count: max(0, 4 - s.count))
        return Tensor(nchw: v, batch: full[0], channels: full[1], rows: full[2], columns: full[3])
    }

    func loss(_ name: String) throws -> Double { try #require(Double(file.metadata[name + ".loss"] ?? "")) }

    /// Largest |a − b| relative to max(1, largest |b|).
    static func difference<T: NNScalar>(_ a: [T], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        let scale = max(1, b.map { abs(Double($0)) }.max() ?? 1)
        return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / scale } ?? 0
    }

    /// Runs `layer` on case `name`'s input and compares its output, input gradient and parameter
    /// gradients (parameters loaded from the file when it has them) with PyTorch's.
    func check<T: NNScalar>(_ layer: some Layer<T>, _ name: String, tolerance: Double) throws {
        for p in layer.parameters where !p.isBuffer {
            let short = String(p.name.split(separator: ".").last!)
            if let stored = file.tensors["\(name).\(short)"] {
                p.value = stored.values.map { T($0) }
            }
            p.zeroGradient()
        }
        let x: Tensor<T> = try tensor(name + ".input")
        let y = layer.forward(x)
        let want = try values(name + ".output")
        #expect(y.count == want.count, "\(name): output has \(y.count) values, PyTorch \(want.count)")
        #expect(Self.difference(y.nchw, want) < tolerance, "\(name) output off by \(Self.difference(y.nchw, want))")
        let gy: Tensor<T> = try tensor(name + ".grad_output")
        let g = Tensor<T>(nchw: gy.nchw, batch: y.batch, channels: y.channels, rows: y.rows, columns: y.columns)
        let dx = layer.backward(g)
        let dxWant = try values(name + ".grad_input")
        #expect(Self.difference(dx.nchw, dxWant) < tolerance, "\(name) input gradient off by \(Self.difference(dx.nchw, dxWant))")
        for p in layer.parameters where !p.isBuffer {
            let short = String(p.name.split(separator: ".").last!)
            guard let stored = file.tensors["\(name).grad.\(short)"] else { continue }
            let d = Self.difference(p.gradient, stored.values)
            #expect(d < tolerance, "\(name) \(p.name) gradient off by \(d)")
        }
    }
}
