import MedKernels
import Foundation
import MedIO
import MedImage
import Testing
import TestSupport

/// MedSR's one degradation against Pillow's `resize(…, Image.BICUBIC)` (references made by
/// Tools/reference/resample_reference.py).
@Suite struct ResampleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String, output: String, columns: Int, rows: Int
        var testDescription: String { output }
    }

    static let cases: [Case] = {
        guard let json = try? FixturePath.json("resample/cases.json") as? [String: Any],
              let list = json["cases"] as? [[String: Any]] else { return [] }
        return list.map { Case(input: $0["input"] as! String, output: $0["output"] as! String,
                               columns: $0["columns"] as! Int, rows: $0["rows"] as! Int) }
    }()

    static func pixels(_ name: String) throws -> PixelArray {
        let (shape, samples) = try NPYFile.read(FixturePath.url("resample/" + name))
        return PixelArray(rows: shape[0], columns: shape[1], samplesPerPixel: shape.count > 2 ? shape[2] : 1, samples: samples)
    }

    @Test func casesExist() { #expect(Self.cases.count == 15) }

    /// 8-bit: bit-exact (Pillow's fixed-point arithmetic); 16-bit: within 1 level.
    @Test(arguments: cases)
    func matchesPillow(_ c: Case) throws {
        let input = try Self.pixels(c.input)
        let want = try Self.pixels(c.output)
        let got = Resample.bicubic(input, columns: c.columns, rows: c.rows)
        #expect(got.rows == want.rows && got.columns == want.columns && got.samplesPerPixel == want.samplesPerPixel)
        let a = got.samples.floats(), b = want.samples.floats()
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        if input.sampleType == .uint8 {
            #expect(got.samples == want.samples, "max difference \(worst)")
        } else {
            #expect(worst <= 1)
        }
    }

    /// The lower copies of the 8-bit kernel (CPUs without AVX-512, or without AVX2) are
    /// bit-exact too.
    @Test(arguments: cases.filter { !$0.input.contains("16") }, [Int32(0), 1])
    func lowerKernelCopiesMatchPillow(_ c: Case, level: Int32) throws {
        let input = try Self.pixels(c.input)
        guard input.sampleType == .uint8 else { return }
        let got = KernelCopies.with(level: level) { Resample.bicubic(input, columns: c.columns, rows: c.rows) }
        #expect(got.samples == (try Self.pixels(c.output)).samples)
    }

    /// `transpose` (rows × cols in, cols × rows out) against the definition.
    static func expectTranspose<T: FixedWidthInteger>(_ rows: Int, _ cols: Int, _ type: T.Type,
                                                      _ transpose: (UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>) -> Void) {
        let src = (0 ..< rows * cols).map { T(truncatingIfNeeded: $0 &* 40_503 &+ $0 / 251) }
        var got = [T](repeating: 0, count: rows * cols)
        transpose(src, rows, cols, &got)
        var want = [T](repeating: 0, count: rows * cols)
        for r in 0 ..< rows { for c in 0 ..< cols { want[c * rows + r] = src[r * cols + c] } }
        #expect(got == want)
    }

    /// The byte transpose behind the horizontal pass: whole 16×16 blocks, edges, and shapes with no whole block.
    @Test(arguments: [(1, 1), (5, 3), (16, 16), (17, 33), (48, 40), (40, 48), (256, 256), (3, 70)])
    func transposeMatchesTheDefinition(_ shape: (Int, Int)) {
        Self.expectTranspose(shape.0, shape.1, UInt8.self) { Kernels.transpose($0, rows: $1, columns: $2, into: $3) }
    }

    /// The 16-bit transpose behind MATLAB's column-major arrays: 8×8 blocks in strips of 64
    /// rows, edges, and shapes with no whole block.
    @Test(arguments: [(1, 1), (5, 3), (8, 8), (17, 33), (64, 72), (130, 9), (3, 70), (512, 256)])
    func transpose16MatchesTheDefinition(_ shape: (Int, Int)) {
        Self.expectTranspose(shape.0, shape.1, UInt16.self) { Kernels.transpose($0, rows: $1, columns: $2, into: $3) }
    }

    @Test func identitySizeIsUnchanged() throws {
        let input = try Self.pixels("gray_in.npy")
        #expect(Resample.bicubic(input, columns: input.columns, rows: input.rows) == input)
    }
}
