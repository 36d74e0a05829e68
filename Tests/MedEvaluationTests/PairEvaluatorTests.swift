import Foundation
import MedEvaluation
import MedIO
import MedImage
import MedMetrics
import Testing

/// `evaluate --pred --ref --mask` on plain files decodes and scores files in parallel: the
/// results must not depend on the thread count, in values or in order.
@Suite struct PairEvaluatorTests {
    /// A folder with 9 predictions: 7 scorable (one in a subfolder), one without a reference,
    /// one whose reference has another size.
    static func makeFolders() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pair-eval-\(UUID().uuidString)")
        for d in ["pred/sub", "ref/sub", "mask/sub"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(d), withIntermediateDirectories: true)
        }
        func png(_ path: String, _ side: Int, _ value: (Int, Int) -> Int) throws {
            var v = [UInt8]()
            for y in 0 ..< side { for x in 0 ..< side { v.append(UInt8(truncatingIfNeeded: value(x, y))) } }
            try PNGCodec.write(PixelArray(rows: side, columns: side, samplesPerPixel: 1, samples: .uint8(v)),
                               to: root.appendingPathComponent(path))
        }
        let names = ["a", "b", "c", "d", "e", "f", "sub/g"]
        for (k, name) in names.enumerated() {
            try png("ref/\(name).png", 48) { x, y in (x * 5 + y * 3 + k * 17) % 256 }
            try png("pred/\(name).png", 48) { x, y in (x * 5 + y * 3 + k * 17 + (x * y + k) % (k + 2)) % 256 }
            try png("mask/\(name).png", 48) { x, y in x > 10 + k && y > 12 ? 255 : 0 }
        }
        try png("pred/no_reference.png", 48) { x, _ in x }
        try png("pred/other_size.png", 48) { x, _ in x }
        try png("ref/other_size.png", 40) { x, _ in x }
        return root
    }

    @Test func resultsAreTheSameForAnyThreadCount() throws {
        let root = try Self.makeFolders()
        defer { try? FileManager.default.removeItem(at: root) }
        func run(_ threads: Int) throws -> (results: [TileResult], failed: [(String, String)], dataRange: Double) {
            var e = PairEvaluator(predictions: root.appendingPathComponent("pred"), references: root.appendingPathComponent("ref"))
            e.masks = root.appendingPathComponent("mask")
            e.threads = threads
            return try e.run()
        }
        let one = try run(1), many = try run(3)
        #expect(one.results.map(\.name) == ["a", "b", "c", "d", "e", "f", "sub/g"])
        #expect(one.results.map(\.index) == Array(0 ..< 7))
        #expect(one.failed.map(\.0) == ["no_reference", "other_size"])
        #expect(many.results.map(\.name) == one.results.map(\.name) && many.results.map(\.index) == one.results.map(\.index))
        #expect(many.failed.map(\.0) == one.failed.map(\.0) && many.failed.map(\.1) == one.failed.map(\.1))
        #expect(one.dataRange == 255 && many.dataRange == 255)
        for (a, b) in zip(one.results, many.results) {
            let x = try #require(a.scores["prediction"]), y = try #require(b.scores["prediction"])
            // Each file is scored by the same code on one thread: bit-identical.
            #expect(x.psnr == y.psnr && x.ssim == y.ssim && x.mse == y.mse)
            #expect(x.ssimMask?.value == y.ssimMask?.value && x.ssimBackground?.value == y.ssimBackground?.value)
            #expect(x.ssim < 1 && x.ssimMask != nil)
        }
    }
}
