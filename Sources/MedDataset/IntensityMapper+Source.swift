public import MedImage

extension IntensityMapper {
    /// The inverse of `map` for an image `up` made from `source` (e.g. a model's upscaled
    /// output): its `bits`-bit values back into the source's own value space — through the
    /// (lo, hi) window into modality units, then through the inverse of `rescale` into stored
    /// values, rounded (integer types) and clipped to the source's sample type.
    ///
    /// What the window clipped is not lost: where the source has values outside (lo, hi), the
    /// part of a bicubic resize of the source that lies beyond the window is added back, so
    /// highlights and shadows the model never saw come out as bicubic interpolation instead of
    /// flat at the window's edge. A source inside its window is untouched by this.
    /// - Parameters:
    ///   - up: the mapped-space image (uint8 or uint16 values, `bits`), same channels as `source`.
    ///   - source: the single-frame input `map` was given (stored values).
    /// - Returns: `up`'s size, `source`'s sample type and channels.
    public static func toSource(_ up: PixelArray, lo: Double, hi: Double, bits: Int, source: PixelArray,
                                rescale: Rescale) -> PixelArray {
        precondition(up.samplesPerPixel == source.samplesPerPixel && source.frames == 1 && up.frames == 1)
        let top = Double(bits == 8 ? 255 : 65535)
        let low = min(lo, hi), high = max(lo, hi)
        var values = up.samples.floats().map { lo + Double($0) / top * (hi - lo) }
        let modality = IntensityMapping.modalityValues(source, rescale: rescale).samples.floats()
        if modality.contains(where: { Double($0) < low || Double($0) > high }) {
            let bicubic = Resample.bicubic(
                PixelArray(rows: source.rows, columns: source.columns, samplesPerPixel: source.samplesPerPixel,
                           samples: .float32(modality)),
                columns: up.columns, rows: up.rows).samples.floats()
            for i in values.indices {
                let b = Double(bicubic[i])
                values[i] += b - min(max(b, low), high)
            }
        }
        let slope = rescale.slope == 0 ? 1 : rescale.slope
        let stored = values.map { ($0 - rescale.intercept) / slope }
        func clipped<T: FixedWidthInteger>(_: T.Type) -> [T] {
            stored.map { v in v.isNaN ? 0 : T(min(max(v.rounded(), Double(T.min)), Double(T.max))) }
        }
        let samples: Samples = switch source.sampleType {
        case .uint8: .uint8(clipped(UInt8.self))
        case .uint16: .uint16(clipped(UInt16.self))
        case .int16: .int16(clipped(Int16.self))
        case .uint32: .uint32(clipped(UInt32.self))
        case .int32: .int32(clipped(Int32.self))
        case .float32: .float32(stored.map { Float($0) })
        }
        return PixelArray(rows: up.rows, columns: up.columns, samplesPerPixel: up.samplesPerPixel, samples: samples)
    }
}
