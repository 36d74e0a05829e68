import Foundation
import MedIO
import MedImage
import Testing
import TestSupport

/// MATLAB files as other writers make them: scipy's own test files (Fixtures/mat/scipy, from
/// Tools/fixtures/make_scipy_mat.py) against scipy.io.loadmat's values.
@Suite("MATLAB variants")
struct MATVariantTests {
    @Test("v4 and v5 files read with loadmat's values",
          arguments: ["testdouble_4.2c_SOL2", "testmatrix_4.2c_SOL2", "test_mat4_le_floats", "testdouble_6.1_SOL2",
                      "testminus_6.5.1_GLNX86", "testmatrix_7.1_GLNX86"])
    func values(_ name: String) throws {
        let url = FixturePath.url("mat/scipy/\(name).mat")
        #expect(try ImageFormat.detect(url) == .matlab)
        let image = try ImageFiles.read(url)
        let (shape, samples) = try NPYFile.read(FixturePath.url("mat/scipy/\(name).npy"))
        #expect([image.pixels.rows, image.pixels.columns] == shape)
        #expect(image.pixels.samples.floats() == samples.floats())
    }

    @Test("inspect names the version", arguments: [("testdouble_4.2c_SOL2", "MATLAB v4"), ("test_mat4_le_floats", "MATLAB v4"),
                                                   ("testmatrix_7.1_GLNX86", "MATLAB v5")])
    func version(_ name: String, _ note: String) throws {
        #expect(try ImageFiles.describe(FixturePath.url("mat/scipy/\(name).mat")).notes?.first == note)
    }

    @Test("structs, cells and strings are refused in one line naming the file",
          arguments: ["teststruct_7.1_GLNX86", "teststring_4.2c_SOL2", "testcell_7.1_GLNX86"])
    func refused(_ name: String) throws {
        let url = FixturePath.url("mat/scipy/\(name).mat")
        let error = #expect(throws: MATError.self) { try ImageFiles.read(url) }
        #expect(error?.code == .unsupported)
        #expect(error?.description.hasPrefix(url.path + ": MATLAB: no real numeric array") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func wrongZlibChecksumIsRefused() throws {
        let error = #expect(throws: MATError.self) {
            try ImageFiles.read(FixturePath.url("mat/scipy/corrupted_zlib_checksum.mat"))
        }
        #expect(error?.code == .corrupt)
    }

    /// MATLAB R14 and later write "MATLAB 7.0 MAT-file" for -v7 files; the format is v5's,
    /// recognised by the version and endian fields at bytes 124–127, whatever the text says.
    @Test("recognised by the header's version and endian fields, not its text",
          arguments: ["MATLAB 7.0 MAT-file, Platform: GLNXA64", "Written by some other tool"])
    func recognisedByFields(_ text: String) throws {
        var bytes = [UInt8](try Data(contentsOf: FixturePath.url("mat/scipy/testmatrix_7.1_GLNX86.mat")))
        let padded = Array(text.utf8) + [UInt8](repeating: 0x20, count: 116 - text.utf8.count)
        bytes.replaceSubrange(0 ..< 116, with: padded)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-mat70-\(UUID().uuidString).mat")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try ImageFormat.detect(url) == .matlab)
        let (_, samples) = try NPYFile.read(FixturePath.url("mat/scipy/testmatrix_7.1_GLNX86.npy"))
        #expect(try ImageFiles.read(url).pixels.samples.floats() == samples.floats())
    }

    @Test func v4SniffRejectsImplausibleHeaders() {
        // Type 0 (LE double), 3 × 5, real, name "a\0": plausible. Then broken variants.
        let good: [UInt8] = [0, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x61, 0]
        #expect(ImageFormat.sniff(good) == .matlab)
        var badType = good; badType[0] = 99           // P digit 9
        var badImag = good; badImag[12] = 7
        var badName = good; badName[20] = 0x21        // "!"
        var noNul = good; noNul[21] = 0x62
        for bytes in [badType, badImag, badName, noNul] { #expect(ImageFormat.sniff(bytes) == nil) }
    }
}
