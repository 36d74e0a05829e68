import CBLAS
import Foundation
import MedDataset
import MedIO
import MedImage
import Testing
import TestSupport

@Suite("PNG")
struct PNGTests {
    static let types = ["gray1", "gray2", "gray4", "gray8", "gray16", "gray_alpha8", "rgb8", "rgb16", "rgba8", "palette4"]

    @Test("every colour type and depth decodes to the reference", arguments: types)
    func colourTypes(_ name: String) throws {
        let image = try ImageFiles.read(FixturePath.url("png/types/\(name).png"))
        let (shape, samples) = try NPYFile.read(FixturePath.url("png/reference/\(name).npy"))
        #expect([image.pixels.rows, image.pixels.columns] == Array(shape.prefix(2)))
        #expect(image.pixels.samplesPerPixel == (shape.count == 3 ? shape[2] : 1))
        #expect(image.pixels.samples == samples)
    }

    @Test func sixteenBitStaysSixteenBit() throws {
        #expect(try ImageFiles.read(FixturePath.url("png/types/gray16.png")).pixels.sampleType == .uint16)
    }

    @Test func forceGrayUsesPillowLuma() throws {
        var options = ReadOptions()
        options.forceGray = true
        let rgb = try ImageFiles.read(FixturePath.url("png/types/rgb8.png")).pixels
        let gray = try ImageFiles.read(FixturePath.url("png/types/rgb8.png"), options: options).pixels
        #expect(gray.samplesPerPixel == 1)
        guard case .uint8(let c) = rgb.samples, case .uint8(let g) = gray.samples else { Issue.record("types"); return }
        for i in 0 ..< g.count {
            let expected = (Int(c[3 * i]) * 19595 + Int(c[3 * i + 1]) * 38470 + Int(c[3 * i + 2]) * 7471 + 32768) >> 16
            #expect(Int(g[i]) == expected)
        }
    }

    @Test("8- and 16-bit gray and RGB round-trip bit-exactly", arguments: ["gray8", "gray16", "rgb8", "rgb16"])
    func roundTrip(_ name: String) throws {
        let pixels = try ImageFiles.read(FixturePath.url("png/types/\(name).png")).pixels
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try PNGCodec.write(pixels, to: url)
        #expect(try ImageFiles.read(url).pixels == pixels)
    }

    @Test func hostileHeaderIsRefusedBeforeAllocating() throws {
        // A valid signature and IHDR claiming 2^31-1 × 2^31-1 RGBA16 pixels, and no data.
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        let ihdr: [UInt8] = Array("IHDR".utf8) + [0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 16, 6, 0, 0, 0]
        bytes += ihdr + crc32(ihdr)
        let idat = Array("IDAT".utf8), iend = Array("IEND".utf8)
        bytes += [0, 0, 0, 0] + idat + crc32(idat) + [0, 0, 0, 0] + iend + crc32(iend)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(bytes).write(to: url)
        let error = #expect(throws: InputError.self) { try ImageFiles.read(url) }
        #expect(error?.code == .tooLarge)
        // inspect may describe it, allocating nothing for its pixels.
        #expect(try ImageFiles.describe(url).columns == 0x7FFF_FFFF)
    }

    @Test func truncatedFileIsAOneLineError() throws {
        let data = try Data(contentsOf: FixturePath.url("png/types/rgb8.png"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try data.prefix(data.count / 2).write(to: url)
        let error = #expect(throws: PNGError.self) { try ImageFiles.read(url) }
        #expect(error?.description.contains(url.lastPathComponent) == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func openBLASIsLinked() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
    }

    func crc32(_ bytes: [UInt8]) -> [UInt8] {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0 ..< 8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        crc ^= 0xFFFF_FFFF
        return [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }
}

@Suite("Formats and files")
struct FormatTests {
    @Test func dicomWithATIFFPreambleIsDICOM() throws {
        var head = [UInt8]([0x49, 0x49, 0x2A, 0x00]) + [UInt8](repeating: 0, count: 124)
        head += Array("DICM".utf8)
        #expect(ImageFormat.sniff(head) == .dicom)
    }

    @Test func contentNotExtensionDecides() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-\(UUID().uuidString).dcm")
        defer { try? FileManager.default.removeItem(at: url) }
        try FileManager.default.copyItem(at: FixturePath.url("png/types/gray8.png"), to: url)
        #expect(try ImageFormat.detect(url) == .png)
    }

    @Test func npyRoundTripKeepsTypeAndShape() throws {
        let pixels = PixelArray(frames: 2, rows: 3, columns: 4, samplesPerPixel: 1, samples: .int16((0 ..< 24).map { Int16($0 - 12) }))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try NPYFile.write(pixels, to: url)
        let (shape, samples) = try NPYFile.read(url)
        #expect(shape == [2, 3, 4])
        #expect(samples == pixels.samples)
    }
}
