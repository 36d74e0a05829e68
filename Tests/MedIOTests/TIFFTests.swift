import Foundation
import MedDataset
import MedIO
import MedImage
import Testing
import TestSupport

@Suite("TIFF slides")
struct TIFFTests {
    static var reference: [String: [String: Any]] {
        (try? FixturePath.json("tiff/reference.json")) as? [String: [String: Any]] ?? [:]
    }
    static let files: [String] = reference.keys.sorted()

    @Test("every level decodes like tifffile", arguments: files)
    func levelsMatchTifffile(_ name: String) throws {
        let levels = Self.reference[name]!["levels"] as! [[String: Any]]
        for (i, level) in levels.enumerated() {
            var options = ReadOptions()
            options.level = i
            let image = try ImageFiles.read(FixturePath.url("tiff/\(name)"), options: options)
            let shape = level["shape"] as! [Int]
            #expect(image.pixels.rows == shape[0] && image.pixels.columns == shape[1])
            #expect(SHA256.hex(image.pixels.samples.littleEndianBytes()) == level["sha256"] as? String, "level \(i)")
        }
    }

    @Test("a region equals the same crop of tifffile's decoding", arguments: files)
    func regionMatches(_ name: String) throws {
        var options = ReadOptions()
        options.region = Region(x: 30, y: 40, width: 120, height: 100)
        let image = try ImageFiles.read(FixturePath.url("tiff/\(name)"), options: options)
        #expect(SHA256.hex(image.pixels.samples.littleEndianBytes()) == Self.reference[name]!["region_x30_y40_w120_h100"] as? String)
    }

    @Test func regionsAcrossTileEdgesEqualCropsOfTheWholeLevel() throws {
        let url = FixturePath.url("tiff/slide_deflate_pages.tif")
        let whole = try ImageFiles.read(url).pixels
        for (x, y, w, h) in [(0, 0, 1, 1), (127, 127, 2, 2), (128, 0, 128, 128), (500, 3, 12, 509), (0, 0, 512, 512)] {
            var options = ReadOptions()
            options.region = Region(x: x, y: y, width: w, height: h)
            #expect(try ImageFiles.read(url, options: options).pixels == whole.cropped(x: x, y: y, width: w, height: h))
        }
    }

    @Test func pyramidLayoutsAreFound() throws {
        let sub = try ImageFiles.describe(FixturePath.url("tiff/slide_jpeg_subifd.tif"))
        #expect(sub.levels?.map(\.source) == ["page", "subifd", "subifd"])
        let pages = try ImageFiles.describe(FixturePath.url("tiff/slide_deflate_pages.tif"))
        #expect(pages.levels?.map(\.width) == [512, 256, 128])
    }

    @Test func regionOutsideTheLevelIsRefused() throws {
        var options = ReadOptions()
        options.region = Region(x: 500, y: 0, width: 100, height: 10)
        #expect(throws: TIFFError.self) { try ImageFiles.read(FixturePath.url("tiff/slide_deflate_pages.tif"), options: options) }
    }

    @Test("the pyramid writer round-trips level 0 and halves each level",
          arguments: [TIFFCodec.Compression.none, .lzw, .deflate])
    func writerRoundTrip(_ compression: TIFFCodec.Compression) throws {
        let source = try ImageFiles.read(FixturePath.url("tiff/strips_packbits_rgb.tif")).pixels
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-\(UUID().uuidString).tif")
        defer { try? FileManager.default.removeItem(at: url) }
        try TIFFCodec.writePyramid(source, to: url, compression: compression, tileSize: 64)
        #expect(try ImageFiles.read(url).pixels == source)
        let levels = try #require(try ImageFiles.describe(url).levels)
        #expect(levels.map(\.width) == [300, 150, 75, 38])
        var options = ReadOptions()
        options.level = 1
        #expect(try ImageFiles.read(url, options: options).pixels == source.halved())
    }
}
