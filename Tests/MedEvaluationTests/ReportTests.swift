@testable import MedEvaluation
import MedMetrics
import MedReport
import Zarr
import Testing

/// The evaluation report as a reader sees it.
@Suite struct ReportTests {
    /// Tiles of two labels from four patients, scored without masks; the model is 1 dB above
    /// bicubic on three tiles of every four.
    static func results() -> [TileResult] {
        (0 ..< 16).map { i in
            let bicubic = 30.0 + Double(i % 4), model = bicubic + (i % 4 == 3 ? -0.5 : 1)
            return TileResult(name: "test/\(i)", split: "test", index: i, label: i < 8 ? "glioma" : "meningioma",
                              methods: ["bicubic", "model"],
                              scores: ["bicubic": Score(psnr: bicubic, ssim: 0.8, mse: 1), "model": Score(psnr: model, ssim: 0.82, mse: 1)],
                              referenceInMask: nil, inMask: [:], maskFraction: 0, source: "scans/\(i / 4).mat", patient: "p\(i / 4)")
        }
    }

    @Test func aDatasetWithoutMasksHasNoMaskSectionsAndSaysWhy() throws {
        let results = Self.results()
        let html = try EvaluationReport.build(title: "t", context: "c", results: results, audit: Audit(results), masks: false) { _ in nil }.html()
        #expect(!html.lowercased().contains("nan"), "no nan, +nan or nan% anywhere")
        #expect(!html.contains("no data"))
        #expect(html.contains("This dataset has no masks"))
        #expect(!html.contains("Tumour-region audit") && !html.contains("SSIM inside the mask") && !html.contains("SSIM in mask"))
        #expect(html.contains("by SSIM of model (whole tile)"))
    }

    @Test func pairedDifferencesAndPerLabelTablesCountPatients() throws {
        let results = Self.results()
        let html = try EvaluationReport.build(title: "t", context: "c", results: results, audit: nil, masks: false) { _ in nil }.html()
        #expect(html.contains("Paired differences to bicubic"))
        // 12 of 16 tiles improved; mean difference (12 × 1 − 4 × 0.5) / 16 = +0.625 dB.
        #expect(html.contains("75% (12 of 16)"))
        #expect(html.contains("+0.62 [") || html.contains("+0.63 ["))
        // Per label: 8 tiles of 2 patients each.
        #expect(html.contains("<td>glioma</td><td>bicubic</td><td>8</td><td>2</td>"))
        #expect(html.contains("16 tiles of 4 patients"))
    }

    @Test func galleryEntriesNameTheSourceFileAndPatient() {
        let r = Self.results()[5]
        #expect(EvaluationReport.galleryTitle(r) == "scans/1.mat · patient p1 · glioma · tile test/5")
    }

    @Test func flaggedRowsAreExplained() throws {
        func score(_ whole: Double, _ inside: Double) -> Score {
            Score(psnr: 30, ssim: whole, mse: 1, ssimMask: RegionValue(value: inside, pixels: 200, reason: nil),
                  ssimBackground: RegionValue(value: 0.9, pixels: 2000, reason: nil))
        }
        let results = (0 ..< 3).map { i in
            TileResult(name: "test/\(i)", split: "test", index: i, label: "glioma", methods: ["bicubic", "model"],
                       scores: ["bicubic": score(0.80, 0.70), "model": score(0.85, 0.60)], referenceInMask: nil, inMask: [:],
                       maskFraction: 0.1, source: "a.mat", patient: "p\(i)")
        }
        let html = try EvaluationReport.build(title: "t", context: "c", results: results, audit: Audit(results)) { _ in nil }.html()
        #expect(html.contains("<tr class=\"flag\">"))
        #expect(html.contains("Rows shaded red"))
        #expect(html.contains("inside the mask (whole tile where a tile has no mask)"))
    }

    @Test func theJSONSummaryBootstrapsByPatientToo() {
        // Two patients whose tiles all score alike: the interval spans both patients' values.
        let results = (0 ..< 20).map { i in
            TileResult(name: "test/\(i)", split: "test", index: i, label: "", methods: ["bicubic"],
                       scores: ["bicubic": Score(psnr: i < 10 ? 20 : 30, ssim: 0.8, mse: 1)], referenceInMask: nil, inMask: [:],
                       maskFraction: 0, source: "", patient: i < 10 ? "a" : "b")
        }
        let json = EvaluationSummary.json(results, dataRange: 255)
        let ci = json["methods"]?["bicubic"]?["all"]?["psnr"]?["ci95"]?.arrayValue?.compactMap(\.doubleValue)
        #expect(ci == [20, 30])
        #expect(json["patients"]?.intValue == 2)
    }
}
