import Foundation
import MedIO
import MedImage
import MedRegistration
import Testing
import TestSupport

@Suite struct RegistrationTests {
    static func plane(_ path: String) throws -> Plane {
        Plane(luminanceOf: try ImageFiles.read(FixturePath.url(path)).pixels)
    }

    /// ITK's pair: the slice lies in the shifted image's canvas at (33, 37).
    @Test func itkPairAtKnownShift() throws {
        let slice = try Self.plane("registration/BrainProtonDensitySlice.png")
        let shifted = try Self.plane("registration/BrainProtonDensitySliceShifted13x17y.png")
        let r = Registration().locate(field: slice, in: shifted, scale: 1)
        #expect(r.found)
        #expect(abs(r.x - 33) <= 0.5 && abs(r.y - 37) <= 0.5, "found at \(r.x), \(r.y)")
    }

    /// Fields cut from a real slide at known positions, ×4 finer, with noise, a brightness and
    /// contrast change and a blur, are registered back to within 0.5 coarse pixels.
    @Test(arguments: [(80, 120), (400, 36), (640, 700), (12, 760)])
    func fieldsFromAFinerImage(x: Int, y: Int) throws {
        let fine = try ImageFiles.read(FixturePath.url("tiff/slide_jpeg_subifd.tif")).pixels
        let finePlane = Plane(luminanceOf: fine)
        let coarse = Plane(luminanceOf: Resample.bicubic(PixelArray(rows: finePlane.rows, columns: finePlane.columns,
                                                                    samples: .float32(finePlane.values)),
                                                         columns: finePlane.columns / 4, rows: finePlane.rows / 4))
        let side = 192
        var values = [Float]()
        var rng = SystemRandomNumberGenerator()
        let maxV = finePlane.values.max() ?? 1
        for r in y ..< y + side { for c in x ..< x + side {
            values.append(finePlane.values[r * finePlane.columns + c] * 0.8 + 0.1 * maxV + Float.random(in: -0.03 ... 0.03, using: &rng) * maxV)
        } }
        let blurred = UnsharpMask.gaussian(values, rows: side, columns: side, sigma: 1.5)
        let r = Registration().locate(field: Plane(rows: side, columns: side, values: blurred), in: coarse, scale: 4)
        #expect(r.found)
        #expect(abs(r.x - Double(x) / 4) <= 0.5 && abs(r.y - Double(y) / 4) <= 0.5, "found at \(r.x), \(r.y), expected \(Double(x) / 4), \(Double(y) / 4)")
    }

    @Test func aFieldFromAnotherImageIsNotFound() throws {
        let slide = try ImageFiles.read(FixturePath.url("tiff/slide_jpeg_subifd.tif")).pixels
        let coarse = Plane(luminanceOf: slide)
        let brain = try Self.plane("registration/BrainProtonDensitySlice.png")
        let r = Registration().locate(field: brain, in: coarse, scale: 1)
        #expect(!r.found && r.reason != nil)
        let flat = Plane(rows: 40, columns: 40, values: Array(repeating: 7, count: 1600))
        let f = Registration().locate(field: flat, in: coarse, scale: 1)
        #expect(!f.found && f.reason?.contains("flat") == true)
    }
}

/// Fixtures/pairs: 256² fields cut from a slide at known positions and `low.png`, the slide
/// reduced 4× by area averaging (Tools/fixtures/make_pairs.py).
@Suite struct PairTests {
    static let truth: [String: (Double, Double)] = ["field_a.png": (25, 35), "field_b.png": (130, 75), "field_c.png": (75, 160)]

    /// With only a range of scales, the scale is refined to within 0.1% and the position to
    /// within 0.1 coarse pixels.
    @Test(arguments: ["field_a.png", "field_b.png", "field_c.png"])
    func scaleRangeIsRefined(name: String) throws {
        let low = try RegistrationTests.plane("pairs/low.png")
        let field = try RegistrationTests.plane("pairs/fields/" + name)
        let r = Registration().locate(field: field, in: low, scaleRange: 3.6 ... 4.4)
        let (x, y) = Self.truth[name]!
        #expect(r.found && abs(r.scale - 4) < 0.004, "scale \(r.scale)")
        #expect(abs(r.x - x) < 0.1 && abs(r.y - y) < 0.1, "found at \(r.x), \(r.y), expected \(x), \(y)")
    }

    /// LR tiles are LOW's own pixels; HR tiles reproduce the slide under them.
    @Test func pairsAreLowPixelsAndResampledField() throws {
        let low = try ImageFiles.read(FixturePath.url("pairs/low.png")).pixels
        let field = try ImageFiles.read(FixturePath.url("pairs/fields/field_c.png")).pixels
        let slide = try ImageFiles.read(FixturePath.url("tiff/slide_jpeg_subifd.tif")).pixels
        let r = Registration().locate(field: Plane(luminanceOf: field), in: Plane(luminanceOf: low), scale: 4)
        let pairs = PairCutter(factor: 4, tile: 64, stride: 32).pairs(coarse: low, field: field, at: r)
        // The field covers LOW columns 75…139 and rows 160…224: 64 pixels, so 7 × 7 tiles of 16 at a step of 8.
        #expect(pairs.count == 49)
        for p in pairs {
            #expect(p.lr == low.cropped(x: p.x, y: p.y, width: 16, height: 16))
            let truth = slide.cropped(x: 4 * p.x, y: 4 * p.y, width: 64, height: 64).samples.floats()
            let hr = p.hr.samples.floats()
            let error = zip(hr, truth).map { Double(abs($0 - $1)) }.reduce(0, +) / Double(hr.count)
            #expect(error < 0.5, "tile at \(p.x), \(p.y): mean error \(error)")
        }
    }

    /// A field covering exactly one LR tile (64² of LOW) gives one pair; one pixel less than a tile, none.
    @Test func tooSmallACoverGivesNoPairs() throws {
        let low = try ImageFiles.read(FixturePath.url("pairs/low.png")).pixels
        let field = try ImageFiles.read(FixturePath.url("pairs/fields/field_a.png")).pixels
        let r = Registration.Result(found: true, x: 25, y: 35, scale: 4, score: 1)
        #expect(PairCutter(factor: 4, tile: 256).pairs(coarse: low, field: field, at: r).count == 1)
        #expect(PairCutter(factor: 4, tile: 272).pairs(coarse: low, field: field, at: r).count == 0)
    }
}
