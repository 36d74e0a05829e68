import Foundation
import MedIO
import MedImage
import Testing
import TestSupport

/// Issue 16: values of VR UN, enhanced multi-frame functional groups, stacks of one series,
/// multi-page TIFF. References: Tools/fixtures/make_issue16_fixtures.py (pydicom, tifffile).
@Suite("DICOM and TIFF details (issue 16)")
struct Issue16ReaderTests {
    static func reference(_ path: String) throws -> [String: Any] {
        try #require(try FixturePath.json(path) as? [String: Any])
    }

    @Test func elementsStoredAsUNAreDecodedThroughTheDictionary() throws {
        let ref = try Self.reference("dicom/un/reference.json")
        let url = FixturePath.url("dicom/un/CT_small_UN.dcm")
        let d = try ImageFiles.describe(url)
        #expect(d.modality == ref["Modality"] as? String)
        #expect(d.rows == ref["Rows"] as? Int)
        #expect(d.seriesUID == ref["SeriesInstanceUID"] as? String)
        #expect(d.pixelSpacingMM == ref["PixelSpacing"] as? [Double])
        let image = try ImageFiles.read(url)
        #expect(image.metadata.modality == "CT")
        #expect(image.metadata.rescale.intercept == ref["RescaleIntercept"] as? Double)
        // The same pixels as the file with proper VRs.
        let plain = try ImageFiles.read(FixturePath.url("dicom/conformance/CT_small.dcm"))
        #expect(image.pixels == plain.pixels)
    }

    @Test func enhancedObjectsReadSharedAndPerFrameFunctionalGroups() throws {
        let ref = try Self.reference("dicom/enhanced/reference.json")
        let url = FixturePath.url("dicom/enhanced/enhanced_mr.dcm")
        let positions = try #require(ref["positions"] as? [[Double]])
        let rescales = try #require(ref["rescales"] as? [[Double]])
        let windows = try #require(ref["windows"] as? [[Double]])
        for f in 0 ..< 3 {
            var options = ReadOptions()
            options.frames = .index(f)
            let image = try ImageFiles.read(url, options: options)
            #expect(image.geometry.pixelSpacingMM == ref["pixelSpacing"] as? [Double])
            #expect(image.geometry.sliceThicknessMM == ref["sliceThickness"] as? Double)
            #expect(image.geometry.imageOrientation == ref["orientation"] as? [Double])
            #expect(image.geometry.imagePositionMM == positions[f])
            #expect(image.metadata.rescale == Rescale(slope: rescales[f][0], intercept: rescales[f][1]))
            #expect(image.metadata.windows.first.map { [$0.center, $0.width] } == windows[f])
        }
        // All frames at once: each frame through its own rescale.
        let all = try ImageFiles.read(url)
        let values = IntensityMapping.modalityValues(all.pixels, metadata: all.metadata).samples.floats()
        let expected = try #require(ref["modality_frame2"] as? [Double])
        let frame2 = Array(values[2 * 16 * 12 ..< 2 * 16 * 12 + 8])
        for (a, b) in zip(frame2, expected) { #expect(abs(Double(a) - b) < 1e-3) }
        #expect(try ImageFiles.describe(url).rescale == Rescale(slope: 2.108, intercept: 0))
    }

    @Test func diffusionBValuesAreStacksNotDuplicates() throws {
        let (series, _) = DICOMSeriesScanner.scan(ImageFiles.files(under: FixturePath.url("dicom/dwi")))
        let s = try #require(series.first)
        #expect(series.count == 1)
        #expect(s.duplicates.isEmpty)
        #expect(s.stacks == [.init(name: "b-value 0", count: 3), .init(name: "b-value 1000", count: 3)])
        #expect(s.stackSummary == "2 stacks (b-value 0, 1000) of 3 slices")
        #expect(s.gapsAfter.isEmpty)
        #expect(s.sliceSpacingMM == 4)
    }

    @Test func cinePhasesAreStacksButATriggerTimePerSliceIsNot() throws {
        let (cine, _) = DICOMSeriesScanner.scan(ImageFiles.files(under: FixturePath.url("dicom/cine")))
        #expect(cine.first?.stacks == [.init(name: "trigger time 0", count: 2), .init(name: "trigger time 40", count: 2)])
        #expect(cine.first?.duplicates.isEmpty == true)
        let (gated, _) = DICOMSeriesScanner.scan(ImageFiles.files(under: FixturePath.url("dicom/gated")))
        #expect(gated.first?.stacks == [.init(name: "", count: 3)])
        #expect(gated.first?.stackSummary == nil)
        #expect(gated.first?.sliceSpacingMM == 6)
    }

    @Test func everyPageOfAMultiPageTIFFIsAFrame() throws {
        let ref = try Self.reference("tiff/multipage.json")
        let url = FixturePath.url("tiff/multipage.tif")
        #expect(try ImageFiles.describe(url).frames == ref["pages"] as? Int)
        let sums = try #require(ref["sums"] as? [Int])
        for (f, sum) in sums.enumerated() {
            var options = ReadOptions()
            options.frames = .index(f)
            let image = try ImageFiles.read(url, options: options)
            #expect(image.pixels.frames == 1)
            #expect(image.pixels.samples.floats().reduce(0) { $0 + Int($1) } == sum)
            #expect(image.provenance.frame == f)
        }
        let all = try ImageFiles.read(url)
        #expect(all.pixels.frames == sums.count)
        var missing = ReadOptions()
        missing.frames = .index(sums.count)
        #expect(throws: TIFFError.self) { try ImageFiles.read(url, options: missing) }
    }
}
