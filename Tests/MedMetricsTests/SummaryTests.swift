import MedImage
import MedMetrics
import Testing

@Suite struct SummaryTests {
    @Test func meanStdAndAReproducibleInterval() {
        let values = (0 ..< 200).map { Double($0 % 17) / 4 }
        let a = Summary(values), b = Summary(values)
        let mean = values.reduce(0, +) / 200
        #expect(abs(a.mean - mean) < 1e-12)
        #expect(a.ciLow < a.mean && a.mean < a.ciHigh)
        #expect(a.ciLow == b.ciLow && a.ciHigh == b.ciHigh)
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 199).squareRoot()
        #expect(abs(a.std - sd) < 1e-12)
    }

    @Test func nanAndInfinityAreLeftOut() {
        let s = Summary([1, 2, .nan, .infinity, 3])
        #expect(s.count == 3 && s.mean == 2)
        #expect(Summary([]).mean.isNaN)
    }
}

@Suite struct UnsharpMaskTests {
    @Test func flatImagesAreUnchangedAndEdgesGetSteeper() {
        let flat = [Float](repeating: 100, count: 32 * 32)
        #expect(UnsharpMask().apply(flat, rows: 32, columns: 32, maxValue: 255) == flat)
        let edge = (0 ..< 32 * 32).map { Float($0 % 32 < 16 ? 50 : 200) }
        let out = UnsharpMask().apply(edge, rows: 32, columns: 32, maxValue: 255)
        #expect(out[10 * 32 + 15] < 50 && out[10 * 32 + 16] > 200)   // overshoot on both sides
        #expect(out.allSatisfy { $0 >= 0 && $0 <= 255 })
    }

    @Test func gaussianKeepsTheMean() {
        let v = (0 ..< 40 * 30).map { Float(($0 * 37) % 101) }
        let g = UnsharpMask.gaussian(v, rows: 30, columns: 40, sigma: 2)
        let a = v.reduce(0, +) / Float(v.count), b = g.reduce(0, +) / Float(g.count)
        #expect(abs(a - b) < 0.5)
    }
}

/// Intervals bootstrapped by patient: tiles of one patient are not independent.
@Suite struct PatientBootstrapTests {
    @Test func tilesOfOnePatientMoveTogether() {
        // Two patients, 50 tiles each, every tile of a patient alike: the evidence is two
        // patients, not 100 tiles, so the interval spans both patients' values.
        let values = Array(repeating: 10.0, count: 50) + Array(repeating: 20.0, count: 50)
        let patients = Array(repeating: "a", count: 50) + Array(repeating: "b", count: 50)
        let byPatient = Summary(values, clusters: patients)
        let byTile = Summary(values)
        #expect(byPatient.mean == 15 && byPatient.count == 100)
        #expect(byPatient.ciLow == 10 && byPatient.ciHigh == 20)
        #expect(byTile.ciHigh - byTile.ciLow < 4, "tile resampling pretends to know more")
    }

    @Test func tilesWithoutAPatientAreTheirOwnCluster() {
        let values = (0 ..< 40).map { Double(($0 * 37) % 11) * 0.3 + 1 }
        #expect(Summary(values, clusters: Array(repeating: "", count: 40)) == Summary(values))
        #expect(Summary(values, clusters: (0 ..< 40).map { "p\($0)" }) == Summary(values))
        let withNaN = Summary([1, .nan, 3, .infinity], clusters: ["a", "a", "b", "b"])
        #expect(withNaN.count == 2 && withNaN.mean == 2)
    }
}
