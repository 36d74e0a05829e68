import MedDataset
import MedImage
import Testing

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
