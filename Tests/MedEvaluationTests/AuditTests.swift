import MedEvaluation
import MedMetrics
import Testing

@Suite struct AuditTests {
    static func result(_ name: String, bicubic: (Double, Double, Double), model: (Double, Double, Double)) -> TileResult {
        func score(_ t: (Double, Double, Double)) -> Score {
            Score(psnr: 30, ssim: t.0, mse: 1, ssimMask: RegionValue(value: t.1, pixels: 200, reason: nil),
                  ssimBackground: RegionValue(value: t.2, pixels: 2000, reason: nil), map: nil)
        }
        return TileResult(name: name, split: "test", index: 0, label: "glioma", methods: ["bicubic", "sharpen"],
                          scores: ["bicubic": score(bicubic), "sharpen": score(model)],
                          referenceInMask: (100, 10), inMask: ["bicubic": (98, 8), "sharpen": (103, 12)], maskFraction: 0.1)
    }

    /// A method that wins on the whole tile but loses inside the tumour is flagged.
    @Test func flagsWholeImageGainWithTumourLoss() {
        let results = [
            Self.result("a", bicubic: (0.80, 0.70, 0.82), model: (0.85, 0.60, 0.88)),
            Self.result("b", bicubic: (0.81, 0.72, 0.83), model: (0.86, 0.65, 0.89)),
        ]
        let audit = Audit(results)
        let sharpen = audit.methods.first { $0.method == "sharpen" }!
        #expect(sharpen.improvesWholeDegradesTumour == 2)
        #expect(abs(sharpen.meanShift - 3) < 1e-12 && abs(sharpen.stdShift - 2) < 1e-12)
        #expect(sharpen.tumourChangedMore == 1)
        #expect(audit.flags.contains { $0.hasPrefix("sharpen improves whole-image SSIM over bicubic") })
        #expect(audit.worst.first?.ssimMask == 0.60)
    }

    @Test func noFlagWhenTheTumourImprovesToo() {
        let audit = Audit([Self.result("a", bicubic: (0.80, 0.70, 0.60), model: (0.85, 0.75, 0.70))])
        #expect(!audit.flags.contains { $0.contains("lowers SSIM inside the mask") })
        #expect(audit.methods.first { $0.method == "sharpen" }!.improvesWholeDegradesTumour == 0)
    }
}
