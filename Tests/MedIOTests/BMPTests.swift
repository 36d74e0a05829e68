import Foundation
import MedIO
import MedImage
import Testing
import TestSupport

@Suite("BMP")
struct BMPTests {
    static let variants = ["pal1", "pal4", "pal8", "pal8_topdown", "gray8", "rgb16_555", "rgb16_565", "rgb24",
                           "rgb24_topdown", "rgb32", "rgba32_v5"]

    @Test("every variant decodes as Pillow does", arguments: variants)
    func pillowPixels(_ name: String) throws {
        let url = FixturePath.url("bmp/\(name).bmp")
        #expect(try ImageFormat.detect(url) == .bmp)
        try expectPillowEqual(try ImageFiles.read(url), "bmp/\(name).npy")
        let (shape, _) = try NPYFile.read(FixturePath.url("bmp/\(name).npy"))
        let d = try ImageFiles.describe(url)
        #expect([d.rows, d.columns, d.samplesPerPixel] == [shape[0], shape[1], shape.count == 3 ? 3 : 1])
    }

    @Test("RLE8 and RLE4 are refused in one line naming the compression", arguments: ["rle8", "rle4"])
    func rle(_ name: String) throws {
        let url = FixturePath.url("bmp/\(name).bmp")
        let error = #expect(throws: BMPError.self) { try ImageFiles.read(url) }
        #expect(error?.code == .unsupported)
        #expect(error?.description.contains(name.uppercased() + " BMP is not supported") == true)
        #expect(try ImageFiles.describe(url).notes?.contains("this compression is not supported for reading") == true)
    }

    @Test func truncatedIsRefused() throws {
        let error = #expect(throws: BMPError.self) { try ImageFiles.read(FixturePath.url("bmp/truncated.bmp")) }
        #expect(error?.code == .corrupt)
        #expect(error?.description.contains("truncated") == true)
    }

    @Test("a header whose sizes lie is refused before allocating", arguments: [(0x7FFF_FFFF, 1), (1, 0x7FFF_FFFF), (40000, 40000)])
    func lyingSizes(_ width: Int, _ height: Int) throws {
        var bytes = [UInt8](try Data(contentsOf: FixturePath.url("bmp/rgb24.bmp")))
        for (i, v) in [(18, width), (22, height)] {
            for k in 0 ..< 4 { bytes[i + k] = UInt8((v >> (8 * k)) & 0xFF) }
        }
        do {
            _ = try BMPCodec.decode(bytes, path: "lie.bmp")
            Issue.record("a lying header was accepted")
        } catch let error as InputError {
            #expect(error.code == .tooLarge)
        } catch let error as BMPError {
            #expect(error.code == .corrupt)
            #expect(!error.description.contains("\n"))
        }
    }

    /// stb_image keeps its palette in an uninitialised array: an index past the palette would
    /// give whatever was on the stack. Such files are refused.
    @Test func indexOutsideThePaletteIsRefused() throws {
        var bytes = [UInt8](try Data(contentsOf: FixturePath.url("bmp/pal8.bmp")))
        let offset = Int(bytes[10]) | Int(bytes[11]) << 8
        let entries = (offset - 54) / 4
        #expect(entries < 256)
        bytes[offset] = 255
        let error = #expect(throws: BMPError.self) { try BMPCodec.decode(bytes, path: "pal.bmp") }
        #expect(error?.description.contains("colour 255 of a \(entries)-colour palette") == true)
    }

    @Test func forceGrayUsesPillowLuma() throws {
        var options = ReadOptions()
        options.forceGray = true
        let url = FixturePath.url("bmp/rgb24.bmp")
        let rgb = try ImageFiles.read(url).pixels
        let gray = try ImageFiles.read(url, options: options).pixels
        #expect(gray.samplesPerPixel == 1)
        #expect(gray == ColorConversion.luma(rgb))
    }
}
