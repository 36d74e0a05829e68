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
