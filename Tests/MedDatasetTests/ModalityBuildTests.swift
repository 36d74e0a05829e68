import Foundation
@testable import MedDataset
import MedImage
import Testing
import TestSupport
import Zarr

/// Issue 16: a CT window applies to CT only, a DICOM SEG is a mask of the series it references
/// (never an image), constant tiles do not pass the foreground filter.
/// Fixtures: Tools/fixtures/make_issue16_fixtures.py (synthetic CT in HU, MR, CR, SEG).
@Suite(.serialized) struct ModalityBuildTests {
    static func build(_ folder: String, window: String? = "liver", masks: [String] = ["seg"]) throws -> (Dataset, BuildSummary) {
        var r = try BuildTests.recipe("dicom-folder")
        r.tile = 32
        r.stride = 32
        r.masks = masks
        if let window { r.intensity = r.intensity.windowed(preset: window) }
        let (url, summary) = try BuildTests.build(r, input: folder)
        return (try Dataset(root: url), summary)
    }

    @Test func aCTWindowAppliesToCTOnlyAndTheCardSaysSoPerSeries() throws {
        let (ds, summary) = try Self.build("dicom/mixed")
        let rows = try ds.manifest()
        for row in rows {
            let isCT = row["label"] == "CT"
            #expect((row["lo"] == "-20" && row["hi"] == "140") == isCT, "\(row["source"]!): lo \(row["lo"]!) hi \(row["hi"]!)")
        }
        #expect(Set(rows.compactMap { $0["label"] }) == ["CT", "MR", "CR"])
        let series = try #require(ds.card["series"]?.arrayValue)
        let uses = Dictionary(uniqueKeysWithValues: series.compactMap { s in
            s["modality"]?.stringValue.flatMap { m in s["use"]?.stringValue.map { (m, $0) } }
        })
        #expect(uses["CT"]?.hasPrefix("images, window liver 60/160 HU") == true)
        #expect(uses["MR"]?.hasPrefix("images, percentiles 0.5–99.5") == true)
        #expect(uses["CR"]?.hasPrefix("images, percentiles 0.5–99.5") == true)
        #expect(uses["SEG"] == "masks of series 4 (CT): 2 frame(s) on 2 slice(s)")
        // The console summary carries the same lines.
        let lines = try #require(summary.report).lines()
        #expect(lines.contains { $0.hasPrefix("series 2 (MR, 1 file, mr.dcm): images, percentiles") })
    }

    @Test func aSegmentationIsAMaskOfItsSeriesNeverAnImage() throws {
        let (ds, _) = try Self.build("dicom/mixed", window: nil)
        let rows = try ds.manifest()
        #expect(!rows.contains { $0["label"] == "SEG" || $0["source"] == "seg.dcm" })
        // The SEG covers slices 0 and 1 of the CT (a disc of radius 14 around (42.7, 42.7)).
        let masked = Set(rows.filter { Double($0["mask_fraction"]!)! > 0 }.compactMap { $0["source"] })
        #expect(masked == ["ct_0.dcm", "ct_1.dcm"])
        let onTile = rows.first { $0["source"] == "ct_0.dcm" && $0["x"] == "32" && $0["y"] == "32" }
        #expect(onTile.map { Double($0["mask_fraction"]!)! > 0.4 } == true)
    }

    @Test func aSegmentationWithoutItsSeriesIsLeftOutWithANote() throws {
        let (ds, summary) = try Self.build("dicom/orphan-seg", window: nil)
        #expect(try ds.manifest().allSatisfy { $0["source"] == "mr.dcm" })
        #expect(summary.notes.contains { $0.contains("seg.dcm") && $0.contains("not in the input") })
        #expect(ds.card["series"]?.arrayValue?.contains { $0["modality"] == .string("SEG") && $0["use"]?.stringValue?.hasPrefix("left out") == true } == true)
    }

    @Test func noStoredTileIsConstant() throws {
        // A CT window used to saturate the CR and MR into constant tiles, which were stored.
        let (ds, _) = try Self.build("dicom/mixed")
        for split in ["train", "val", "test"] {
            let hr = try ds.array(split, "hr")
            for i in 0 ..< hr.count {
                let v = try ds.tilePixels(hr, i).samples.floats()
                let mean = v.reduce(0, +) / Float(v.count)
                let sd = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(v.count)).squareRoot()
                #expect(sd >= 2.55, "\(split) tile \(i) is flat (sd \(sd))")
            }
        }
    }

    @Test func constantTilesDoNotPassTheForegroundFilter() throws {
        var r = try BuildTests.recipe("dicom-folder")
        r.tile = 16
        r.stride = 16
        let tiler = Tiler(recipe: r)
        // Bright but constant (a saturated window), and nearly constant (±1 level).
        let flat = PixelArray(rows: 16, columns: 32, samplesPerPixel: 1,
                              samples: .uint8((0 ..< 512).map { $0 % 32 < 16 ? 255 : UInt8(200 + ($0 % 2)) }))
        #expect(tiler.tiles(flat, masks: [], window: IntensityWindow(lo: 0, hi: 1), frame: nil, level: nil,
                            compressor: Zstd.Compressor()).isEmpty)
        let textured = PixelArray(rows: 16, columns: 16, samplesPerPixel: 1, samples: .uint8((0 ..< 256).map { UInt8($0) }))
        #expect(tiler.tiles(textured, masks: [], window: IntensityWindow(lo: 0, hi: 1), frame: nil, level: nil,
                            compressor: Zstd.Compressor()).count == 1)
    }

    @Test func windowResolutionByModalityAndRescaleType() {
        let w = Recipe.Intensity(mode: .percentile, low: 1, high: 99).windowed(preset: "lung")
        #expect(w.resolved(modality: "CT", rescaleType: nil) == w)
        #expect(w.resolved(modality: "CT", rescaleType: "HU") == w)
        #expect(w.resolved(modality: nil, rescaleType: "HU") == w)
        #expect(w.resolved(modality: "MR", rescaleType: nil) == Recipe.Intensity(mode: .percentile, low: 1, high: 99))
        #expect(w.resolved(modality: "CT", rescaleType: "OD").mode == .percentile)
        #expect(w.resolved(modality: nil, rescaleType: nil).mode == .percentile)
        let minmax = Recipe.Intensity(mode: .minmax).windowed(center: -600, width: 1500)
        #expect(minmax.resolved(modality: "NM", rescaleType: nil).mode == .minmax)
        #expect(minmax.summary == "window -600/1500 HU (lo -1350, hi 150)")
    }
}
