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
