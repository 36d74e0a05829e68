import MedImage
import Testing

@Suite("Intensity mapping (PS3.3 C.11.2.1.2, PS3.4 N.2)")
struct IntensityTests {
    @Test func linearWindowFollowsTheStandard() {
        let w = Window(center: 40, width: 400)
        // Below c - 0.5 - (w-1)/2 → 0; above c - 0.5 + (w-1)/2 → 1; linear between.
        #expect(IntensityMapping.applyWindow(-160.5, w) == 0)
        #expect(IntensityMapping.applyWindow(-160, w) == 0)
        #expect(IntensityMapping.applyWindow(-159.9, w) > 0)
        #expect(IntensityMapping.applyWindow(239.5, w) == 1)
        #expect(abs(IntensityMapping.applyWindow(39.5, w) - 0.5) < 1e-12)
    }

    @Test func linearExactAndSigmoid() {
        let exact = Window(center: 0, width: 100, function: "LINEAR_EXACT")
        #expect(IntensityMapping.applyWindow(-50, exact) == 0)
        #expect(IntensityMapping.applyWindow(25, exact) == 0.75)
        let sigmoid = Window(center: 10, width: 20, function: "SIGMOID")
        #expect(IntensityMapping.applyWindow(10, sigmoid) == 0.5)
    }

    @Test func monochrome1IsInverted() {
        var m = ImageMetadata()
        m.photometric = "MONOCHROME1"
        m.windows = [Window(center: 128, width: 256)]
        let pixels = PixelArray(rows: 1, columns: 3, samples: .uint16([0, 128, 255]))
        let out = IntensityMapping.displayValues(pixels, metadata: m, window: .auto, bits: 8).pixels
        #expect(out.samples == .uint8([255, 127, 0]))
    }

    @Test func rescaleComesBeforeTheWindow() {
        var m = ImageMetadata()
        m.rescale = Rescale(slope: 1, intercept: -1024)
        let pixels = PixelArray(rows: 1, columns: 3, samples: .int16([0, 1024, 2048]))
        let out = IntensityMapping.displayValues(pixels, metadata: m, window: .explicit(Window(center: 0, width: 2)), bits: 8).pixels
        #expect(out.samples == .uint8([0, 255, 255]))
    }

    @Test func windowArgumentParses() {
        #expect(WindowChoice(argument: "40/400") == .explicit(Window(center: 40, width: 400)))
        #expect(WindowChoice(argument: "auto") == .auto)
        #expect(WindowChoice(argument: "40") == nil)
    }

    @Test func ybrFullToRGBMatchesTheBT601Matrix() {
        var s: [UInt8] = [128, 128, 128, 76, 85, 255, 255, 128, 128]
        ColorConversion.ybrFullToRGB(&s)
        #expect(Array(s[0 ..< 3]) == [128, 128, 128])
        #expect(Array(s[3 ..< 6]) == [254, 0, 0])  // pure red, within BT.601 rounding
        #expect(Array(s[6 ..< 9]) == [255, 255, 255])
    }
}

@Suite("Pixel arrays")
struct PixelArrayTests {
    @Test("cropping at edges", arguments: [(0, 0, 1, 1), (4, 2, 1, 3), (0, 0, 5, 5), (1, 1, 4, 4)])
    func cropEqualsNaiveCrop(_ r: (Int, Int, Int, Int)) {
        let p = PixelArray(rows: 5, columns: 5, samplesPerPixel: 2, samples: .uint16((0 ..< 50).map(UInt16.init)))
        let c = p.cropped(x: r.0, y: r.1, width: r.2, height: r.3)
        var expected = [UInt16]()
        for y in r.1 ..< r.1 + r.3 { for x in r.0 ..< r.0 + r.2 { for s in 0 ..< 2 { expected.append(UInt16((y * 5 + x) * 2 + s)) } } }
        #expect(c.samples == .uint16(expected))
    }

    @Test func halvingAveragesAndRoundsUpOddSizes() {
        let p = PixelArray(rows: 3, columns: 3, samples: .uint8([0, 2, 9, 4, 6, 9, 1, 1, 1]))
        let h = p.halved()
        #expect(h.rows == 2 && h.columns == 2)
        #expect(h.samples == .uint8([3, 9, 1, 1]))
    }

    @Test func patientIdentityNeverPrints() {
        let id = PatientIdentity(id: "SECRET-123", name: "Doe^Jane")
        #expect(!"\(id)".contains("SECRET") && !String(reflecting: id).contains("SECRET"))
    }
}

/// Regression: `[UInt32].map(Float.init)` resolves to `Float(bitPattern:)`; 32-bit samples
/// (RT dose, 32-bit DICOM) must convert by value.
@Suite struct SampleConversionTests {
    @Test func everyIntegerTypeConvertsByValue() {
        #expect(Samples.uint32([0, 798_000, 4_000_000_000]).floats() == [0, 798_000, 4_000_000_000])
        #expect(Samples.int32([-5, 1_254_000]).floats() == [-5, 1_254_000])
        #expect(Samples.uint16([65535]).floats() == [65535] && Samples.int16([-32768]).floats() == [-32768])
        #expect(Samples.uint8([255]).floats() == [255])
    }
}
