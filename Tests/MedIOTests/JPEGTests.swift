import Foundation
import MedIO
import MedImage
import Testing
import TestSupport

/// Decoded pixels against Pillow's (golden .npy files from Tools/fixtures/make_jpeg_bmp.py).
func expectPillowEqual(_ image: MedicalImage, _ golden: String) throws {
    let (shape, samples) = try NPYFile.read(FixturePath.url(golden))
    #expect([image.pixels.rows, image.pixels.columns] == Array(shape.prefix(2)), "\(golden)")
    #expect(image.pixels.samplesPerPixel == (shape.count == 3 ? shape[2] : 1), "\(golden)")
    #expect(image.pixels.samples == samples, "\(golden)")
}

@Suite("JPEG")
struct JPEGTests {
    @Test("grey, colour at every subsampling and progressive decode as Pillow does",
          arguments: ["gray", "color_420", "color_422", "color_444", "progressive", "extraneous"])
    func pillowPixels(_ name: String) throws {
        let url = FixturePath.url("jpeg/\(name).jpg")
        #expect(try ImageFormat.detect(url) == .jpeg)
        try expectPillowEqual(try ImageFiles.read(url), "jpeg/\(name).npy")
    }

    @Test("--gray equals Pillow's convert(\"L\")", arguments: ["color_420", "color_422", "color_444", "progressive"])
    func forceGray(_ name: String) throws {
        var options = ReadOptions()
        options.forceGray = true
        try expectPillowEqual(try ImageFiles.read(FixturePath.url("jpeg/\(name).jpg"), options: options), "jpeg/\(name).L.npy")
    }

    @Test("EXIF orientation applied as ImageOps.exif_transpose", arguments: 2 ... 8)
    func orientation(_ value: Int) throws {
        let url = FixturePath.url("jpeg/exif_\(value).jpg")
        try expectPillowEqual(try ImageFiles.read(url), "jpeg/exif_\(value).npy")
        let d = try ImageFiles.describe(url)
        #expect(d.notes?.first?.hasPrefix("EXIF orientation \(value) applied") == true)
        let (shape, _) = try NPYFile.read(FixturePath.url("jpeg/exif_\(value).npy"))
        #expect([d.rows, d.columns] == [shape[0], shape[1]])
    }

    @Test func cmykIsRefusedInOneLine() throws {
        let url = FixturePath.url("jpeg/cmyk.jpg")
        let error = #expect(throws: JPEGError.self) { try ImageFiles.read(url) }
        #expect(error?.code == .unsupported)
        #expect(error?.description.hasPrefix(url.path + ": JPEG: CMYK JPEG") == true)
        #expect(error?.description.contains("\n") == false)
        #expect(try ImageFiles.describe(url).photometric == "CMYK")
    }

    @Test func truncatedIsRefused() throws {
        let url = FixturePath.url("jpeg/truncated.jpg")
        let error = #expect(throws: JPEGError.self) { try ImageFiles.read(url) }
        #expect(error?.code == .corrupt)
        #expect(error?.description.contains("\n") == false)
    }

    @Test("damaged headers give one-line errors, never a crash", arguments: [4, 20, 100, 160, 300])
    func damagedHeaders(_ cut: Int) throws {
        let bytes = [UInt8](try Data(contentsOf: FixturePath.url("jpeg/color_420.jpg")))
        var damaged = bytes
        for i in stride(from: cut, to: min(cut + 40, damaged.count), by: 3) { damaged[i] ^= 0x5A }
        for input in [Array(bytes.prefix(cut)), damaged] {
            do { _ = try JPEGCodec.decode(input, path: "x.jpg") } catch let error as JPEGError {
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func hugeHeaderIsRefusedBeforeAllocating() throws {
        // SOF0 claiming 65500 x 65500 x 3 (libjpeg's largest), over the budget.
        var bytes = [UInt8](try Data(contentsOf: FixturePath.url("jpeg/color_420.jpg")))
        let sof = try #require((0 ..< bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 5] = 0xFF; bytes[sof + 6] = 0xDC; bytes[sof + 7] = 0xFF; bytes[sof + 8] = 0xDC
        let error = #expect(throws: InputError.self) { try JPEGCodec.decode(bytes, path: "huge.jpg") }
        #expect(error?.code == .tooLarge)
    }

    @Test func sniffedByContentAfterDICM() {
        let jpegHead: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0, count: 128)
        #expect(ImageFormat.sniff(jpegHead) == .jpeg)
        // A DICOM preamble may start like a JPEG or a BMP: DICM at 128 decides.
        var dicom = jpegHead
        dicom.replaceSubrange(128 ..< 132, with: Array("DICM".utf8))
        #expect(ImageFormat.sniff(dicom) == .dicom)
        var bmp = [UInt8](repeating: 0, count: 132)
        bmp[0] = 0x42; bmp[1] = 0x4D; bmp[14] = 40
        #expect(ImageFormat.sniff(bmp) == .bmp)
        bmp[14] = 41  // not a BMP info header size
        #expect(ImageFormat.sniff(bmp) == nil)
    }

    @Test func orientationTransformsMatchTheirDefinitions() {
        // 2 x 3 image 0 1 2 / 3 4 5.
        let p = PixelArray(rows: 2, columns: 3, samples: .uint8([0, 1, 2, 3, 4, 5]))
        let expected: [ImageOrientation: [UInt8]] = [
            .upright: [0, 1, 2, 3, 4, 5], .mirrored: [2, 1, 0, 5, 4, 3], .upsideDown: [5, 4, 3, 2, 1, 0],
            .flipped: [3, 4, 5, 0, 1, 2], .transposed: [0, 3, 1, 4, 2, 5], .rotatedLeft: [3, 0, 4, 1, 5, 2],
            .transverse: [5, 2, 4, 1, 3, 0], .rotatedRight: [2, 5, 1, 4, 0, 3],
        ]
        for (o, values) in expected {
            let out = p.applying(o)
            #expect(out.samples == .uint8(values), "\(o)")
            #expect(out.rows == (o.swapsAxes ? 3 : 2))
        }
    }
}
