import Foundation
import MedDataset
import MedIO
import MedImage
import Testing
import TestSupport

/// `IntensityMapper.unmap`: model output back into modality units for DICOM output.
@Suite struct UnmapTests {
    func values(_ p: PixelArray, _ r: Rescale) -> [Double] { p.samples.floats().map { Double($0) * r.slope + r.intercept } }

    @Test func huFitInt16WithAnIdentityRescale() {
        let p = PixelArray(rows: 1, columns: 3, samples: .uint8([0, 128, 255]))
        let (out, r) = IntensityMapper.unmap(p, lo: -1000, hi: 1000, bits: 8)
        #expect(out.sampleType == .int16 && r == .identity)
        #expect(values(out, r) == [-1000, 4, 1000])
    }

    @Test func valuesBeyond16BitsGetASlopeAndIntercept() {
        let p = PixelArray(rows: 1, columns: 3, samples: .uint16([0, 32768, 65535]))
        let (out, r) = IntensityMapper.unmap(p, lo: 798_000, hi: 1_254_000, bits: 16)
        #expect(out.sampleType == .uint16 && r.intercept == 798_000 && r.slope > 1)
        let v = values(out, r)
        #expect(abs(v[0] - 798_000) < 1e-6 && abs(v[2] - 1_254_000) < r.slope && abs(v[1] - 1_026_003.5) <= r.slope)
    }
}

/// `IntensityMapper.toSource`: an upscaled image back in the input's own values (what
/// `medsr upscale` writes into PNG and TIFF).
@Suite struct SourceValuesTests {
    static func psnr(_ a: PixelArray, _ b: PixelArray, range: Double) -> Double {
        let x = a.samples.floats(), y = b.samples.floats()
        let mse = zip(x, y).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } / Double(x.count)
        return 10 * log10(range * range / mse)
    }

    /// A real MR slice (ITK's T1 example), ×4 down with the dataset's bicubic, mapped with a
    /// percentile window, "upscaled" by bicubic in the mapped space (a model that has learnt
    /// nothing): back in the input's units it must score as bicubic does on the input itself.
    /// Written as mapped values (what `upscale` used to write), it scores far lower.
    @Test(arguments: [SampleType.uint8, .uint16])
    func percentileMappedOutputComesBackInTheInputsUnits(type: SampleType) throws {
        let read = try PNGCodec.read(path: FixturePath.url("mri-t1/slab05/z032.png").path).pixels.frame(0)
        let side = read.columns / 4 * 4
        let values = Array(read.samples.floats().prefix(side * read.columns))
        let cropped = (0 ..< side).flatMap { r in values[r * read.columns ..< r * read.columns + side] }
        let hr = PixelArray(rows: side, columns: side, samples: type == .uint8
            ? .uint8(cropped.map { UInt8(min($0, 255)) }) : .uint16(cropped.map { UInt16($0) }))
        let lr = Resample.bicubic(hr, columns: side / 4, rows: side / 4)
        let spec = Recipe.Intensity(mode: .percentile)
        let mapped = IntensityMapper.map(lr, rescale: .identity, intensity: spec, bits: 8)
        #expect(mapped.lo > 0 || mapped.hi < 255)  // the window really stretches
        let up = Resample.bicubic(mapped.pixels, columns: side, rows: side)
        let back = IntensityMapper.toSource(up, lo: mapped.lo, hi: mapped.hi, bits: 8, source: lr, rescale: .identity)
        #expect(back.sampleType == type && back.rows == side && back.columns == side)
        let range = 255.0
        let bicubic = Self.psnr(Resample.bicubic(lr, columns: side, rows: side), hr, range: range)
        let ours = Self.psnr(back, hr, range: range)
        let asMapped = Self.psnr(up, hr, range: range)
        #expect(ours > bicubic - 0.3, "source values \(ours) dB, bicubic \(bicubic) dB")
        #expect(asMapped < bicubic - 5, "mapped values \(asMapped) dB")
    }

    @Test func rescaleIsInvertedAndValuesClippedToTheType() {
        // Stored int16 with slope 2, intercept −1024; window −1000…1000 HU.
        let source = PixelArray(rows: 1, columns: 2, samples: .int16([0, 1000]))
        let rescale = Rescale(slope: 2, intercept: -1024)
        let up = PixelArray(rows: 1, columns: 2, samples: .uint8([0, 255]))
        let back = IntensityMapper.toSource(up, lo: -1000, hi: 1000, bits: 8, source: source, rescale: rescale)
        #expect(back.sampleType == .int16)
        // 1000 HU is stored 1012; the model says −1000 HU at the first pixel, but the source's
        // −1024 HU there lies below the window, so bicubic carries it: stored 0.
        #expect(back.samples == .int16([0, 1012]))
        let small = PixelArray(rows: 1, columns: 1, samples: .uint8([10]))
        let high = IntensityMapper.toSource(PixelArray(rows: 1, columns: 1, samples: .uint8([255])), lo: 0, hi: 400, bits: 8,
                                            source: small, rescale: .identity)
        #expect(high.samples == .uint8([255]))
    }
}
