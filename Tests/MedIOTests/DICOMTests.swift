import Foundation
import MedDataset
import MedIO
import MedImage
import Testing
import TestSupport

/// One row of Fixtures/dicom/conformance/reference.json (pydicom's decoding).
struct DICOMReference: CustomTestStringConvertible, Sendable {
    var file: String, transferSyntax: String, shape: [Int]?, sha256: String?, lossy: Bool, error: String?
    var testDescription: String { file }

    static func all() throws -> [DICOMReference] {
        let root = try FixturePath.json("dicom/conformance/reference.json") as! [String: Any]
        return (root["files"] as! [[String: Any]]).map {
            DICOMReference(file: $0["file"] as! String, transferSyntax: $0["transfer_syntax"] as! String,
                           shape: $0["shape"] as? [Int], sha256: $0["sha256"] as? String,
                           lossy: $0["lossy"] as? Bool ?? false, error: $0["error"] as? String)
        }
    }
}

@Suite("DICOM conformance against pydicom")
struct DICOMConformanceTests {
    @Test("decodes like pydicom (bit-exact lossless, ±2 lossy, clean error when pydicom fails)",
          arguments: try DICOMReference.all())
    func decodesLikePydicom(_ ref: DICOMReference) throws {
        let url = FixturePath.url("dicom/conformance/\(ref.file)")
        guard let shape = ref.shape else {
            #expect(ref.error != nil)
            let error = #expect(throws: (any Error).self) { try ImageFiles.read(url) }
            let text = String(describing: error!)
            #expect(text.contains(ref.file) && !text.contains("\n"), "one line naming the file: \(text)")
            return
        }
        let image = try ImageFiles.read(url)
        let p = image.pixels
        #expect([p.frames, p.rows, p.columns, p.samplesPerPixel] == shape)
        let bytes = p.samples.littleEndianBytes()
        if ref.lossy {
            let (refShape, refSamples) = try NPYFile.read(FixturePath.url("dicom/conformance/\(ref.file).npy"))
            #expect(refShape == shape)
            let ours = p.samples.floats(), theirs = refSamples.floats()
            let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 2, "max difference \(worst) grey levels")
        } else {
            #expect(SHA256.hex(bytes) == ref.sha256, "pixels differ from pydicom's")
        }
    }

    @Test func frameSelectionReadsOneFrame() throws {
        var options = ReadOptions()
        options.frames = .index(7)
        let all = try ImageFiles.read(FixturePath.url("dicom/conformance/rtdose.dcm"))
        let one = try ImageFiles.read(FixturePath.url("dicom/conformance/rtdose.dcm"), options: options)
        #expect(one.pixels.frames == 1)
        #expect(one.pixels == all.pixels.frame(7))
        options.frames = .index(15)
        #expect(throws: DICOMError.self) { try ImageFiles.read(FixturePath.url("dicom/conformance/rtdose.dcm"), options: options) }
    }

    @Test func segFramesBecomeNamedMasks() throws {
        let image = try ImageFiles.read(FixturePath.url("dicom/conformance/liver_1frame.dcm"))
        let mask = try #require(image.masks["Liver"])
        #expect(mask.rows == 512 && mask.fraction > 0.01 && mask.fraction < 0.5)
    }

    @Test func ctRescaleGivesHounsfieldUnits() throws {
        let image = try ImageFiles.read(FixturePath.url("dicom/conformance/CT_small.dcm"))
        #expect(image.metadata.rescale == Rescale(slope: 1, intercept: -1024))
        let hu = IntensityMapping.modalityValues(image.pixels, rescale: image.metadata.rescale)
        #expect(hu.sampleType == .float32)
        #expect(zip(hu.samples.floats(), image.pixels.samples.floats()).allSatisfy { $0 == $1 - 1024 })
    }

    @Test func budgetRefusesBeforeDecoding() throws {
        var options = ReadOptions()
        options.maxBytes = 1000
        let error = #expect(throws: InputError.self) { try ImageFiles.read(FixturePath.url("dicom/conformance/CT_small.dcm"), options: options) }
        #expect(error?.code == .tooLarge)
    }
}

@Suite("DICOM folders")
struct DICOMSeriesTests {
    @Test func ordersByPositionAndReportsTheGap() throws {
        let (series, skipped) = DICOMSeriesScanner.scan(ImageFiles.files(under: FixturePath.url("dicom/series")))
        #expect(skipped.isEmpty)
        let s = try #require(series.first)
        #expect(series.count == 1)
        #expect(s.orderedBy == "position")
        #expect(s.files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["c.dcm", "a.dcm", "e.dcm", "b.dcm", "d.dcm"])
        #expect(s.gapsAfter == [2])
        #expect(s.sliceSpacingMM == 3)
    }

    @Test func descriptionsHideThePatientUnlessAsked() throws {
        let url = FixturePath.url("dicom/series/a.dcm")
        let hidden = try ImageFiles.describe(url)
        let text = String(decoding: try JSONEncoder().encode(hidden), as: UTF8.self)
        #expect(!text.contains("PHI-CANARY") && !text.contains("Canary"))
        #expect(try ImageFiles.describe(url, showPHI: true).patientID == "PHI-CANARY-7Q2X")
        let image = try ImageFiles.read(url)
        #expect(!"\(image.patient!)".contains("CANARY"))
    }

    @Test func displayAppliesTheFileWindow() throws {
        let image = try ImageFiles.read(FixturePath.url("dicom/series/a.dcm"))
        let (display, window) = IntensityMapping.displayValues(image.pixels, metadata: image.metadata, window: .auto, bits: 8)
        #expect(window == Window(center: 400, width: 800))
        let stored = image.pixels.samples.floats(), shown = display.samples.floats()
        for (s, d) in zip(stored, shown) {
            let expected = (IntensityMapping.applyWindow(Double(s), Window(center: 400, width: 800)) * 255).rounded()
            #expect(Double(d) == expected)
        }
    }
}

/// Derived images (`medsr upscale … .dcm`): read back with MedSR's own reader.
@Suite struct DICOMWriterTests {
    static func derived(keep: Bool) throws -> (MedicalImage, [UInt8], URL) {
        let source = FixturePath.url("dicom/conformance/CT_small.dcm")
        let original = try ImageFiles.read(source)
        // "Upscaled" ×2 by repetition, in modality units (HU): stored × slope + intercept.
        let hu = original.pixels.samples.floats().map { Float($0) * Float(original.metadata.rescale.slope) + Float(original.metadata.rescale.intercept) }
        let rows = original.pixels.rows * 2, cols = original.pixels.columns * 2
        var values = [Int16](repeating: 0, count: rows * cols)
        for r in 0 ..< rows { for c in 0 ..< cols { values[r * cols + c] = Int16(hu[(r / 2) * original.pixels.columns + c / 2]) } }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-derived-\(UUID().uuidString).dcm")
        try DICOMWriter.writeDerived(PixelArray(rows: rows, columns: cols, samples: .int16(values)), source: source, to: out,
                                     scale: 2, description: "test x2", deidentification: keep ? nil : Deidentification())
        return (try ImageFiles.read(out), [UInt8](try Data(contentsOf: out)), out)
    }

    @Test func derivedImageKeepsUnitsAndHalvesTheSpacingWithoutIdentifiers() throws {
        let source = try ImageFiles.read(FixturePath.url("dicom/conformance/CT_small.dcm"))
        let (image, bytes, url) = try Self.derived(keep: false)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(image.pixels.rows == source.pixels.rows * 2 && image.pixels.columns == source.pixels.columns * 2)
        #expect(image.metadata.rescale.slope == 1 && image.metadata.rescale.intercept == 0)
        let want = source.geometry.pixelSpacingMM!.map { $0 / 2 }
        #expect(zip(image.geometry.pixelSpacingMM!, want).allSatisfy { abs($0 - $1) < 1e-6 })
        // Pixel (3, 5) of the source in HU, at (6, 10) of the derived image.
        let huSource = Double(source.pixels.samples.floats()[3 * source.pixels.columns + 5]) * source.metadata.rescale.slope + source.metadata.rescale.intercept
        #expect(Double(image.pixels.samples.floats()[6 * image.pixels.columns + 10]) == huSource)
        #expect(image.patient?.id ?? "" == "" && image.patient?.name ?? "" == "")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("CompressedSamples") && !text.contains("JFK IMAGING"), "an identifier survived")
        #expect(text.contains("DERIVED\\SECONDARY") && text.contains("test x2"))
    }

    @Test func keepIdentifiersKeepsThemAndReferencesTheSource() throws {
        let (_, bytes, url) = try Self.derived(keep: true)
        defer { try? FileManager.default.removeItem(at: url) }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("CompressedSamples^CT1"))
        #expect(text.contains("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"), "the source SOP Instance is referenced")
    }

    /// A JPEG 2000 frame may be decoded on several threads (`medsr convert` of one file): the
    /// pixels must not depend on it.
    @Test(arguments: ["J2K_pixelrep_mismatch.dcm", "GDCMJ2K_TextGBR.dcm", "MR_small_jp2klossless.dcm"])
    func jpeg2000DecoderThreadsDoNotChangePixels(_ name: String) throws {
        let url = FixturePath.url("dicom/conformance/\(name)")
        var options = ReadOptions()
        let one = try ImageFiles.read(url, options: options)
        options.decoderThreads = 3
        #expect(try ImageFiles.read(url, options: options).pixels == one.pixels)
    }

    /// MedSR decodes RLE itself (not through DCMTK's codec); a segment that ends before its
    /// byte plane is full must be a one-line error naming the file, not zeros or a crash.
    @Test func shortRLESegmentIsAClearError() throws {
        var bytes = [UInt8](try Data(contentsOf: FixturePath.url("dicom/conformance/MR_small_RLE.dcm")))
        // The frame's RLE header: two segments (16-bit grey), the first at offset 64.
        let header: [UInt8] = [2, 0, 0, 0, 64, 0, 0, 0]
        let start = try #require((0 ..< bytes.count - 64).first { Array(bytes[$0 ..< $0 + 8]) == header })
        func word(_ at: Int) -> Int { (0 ..< 4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        #expect(Array(bytes[start - 8 ..< start - 4]) == [0xFE, 0xFF, 0x00, 0xE0], "a fragment starts there")
        let fragmentEnd = start + word(start - 4), second = start + word(start + 8)
        // PackBits header -128 is a no-op: the second segment now yields no bytes at all.
        for i in second ..< fragmentEnd { bytes[i] = 0x80 }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-short-rle-\(UUID().uuidString).dcm")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(bytes).write(to: url)
        let error = #expect(throws: DICOMError.self) { try ImageFiles.read(url) }
        let text = String(describing: error!)
        #expect(text.contains(url.lastPathComponent) && text.contains("RLE segment 2") && !text.contains("\n"), "\(text)")
    }

    @Test func refusesUnsupportedSampleLayouts() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-derived-bad.dcm")
        #expect(throws: DICOMError.self) {
            try DICOMWriter.writeDerived(PixelArray(rows: 2, columns: 2, samples: .float32([0, 1, 2, 3])),
                                         source: FixturePath.url("dicom/conformance/CT_small.dcm"), to: url, scale: 2,
                                         description: "x", deidentification: Deidentification())
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
