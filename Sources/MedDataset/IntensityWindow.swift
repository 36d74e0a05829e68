import MedImage

/// The linear map from source (modality) units to stored tile values: `lo` → 0, `hi` → max.
/// Recorded per tile so tile values map back: `source = lo + value / max × (hi − lo)`.
struct IntensityWindow: Equatable {
    var lo: Double
    var hi: Double

    /// The window `spec` chooses for an image whose modality values are `values`.
    static func choose(_ spec: Recipe.Intensity, values: [Float], type: SampleType) -> IntensityWindow {
        switch spec.mode {
        case .identity:
            switch type {
            case .uint8: return IntensityWindow(lo: 0, hi: 255)
            case .uint16: return IntensityWindow(lo: 0, hi: 65535)
            case .int16: return IntensityWindow(lo: -32768, hi: 32767)
            default: return minMax(values)
            }
        case .window:
            let (c, w) = spec.preset.flatMap { Recipe.Intensity.presets[$0] } ?? (spec.center ?? 0, spec.width ?? 1)
            return IntensityWindow(lo: c - w / 2, hi: c + w / 2)
        case .minmax: return minMax(values)
        case .percentile, .auto:
            let sorted = values.filter { !$0.isNaN }.sorted()
            return IntensityWindow(lo: percentile(sorted, spec.low ?? 0.5), hi: percentile(sorted, spec.high ?? 99.5))
        }
    }

    static func minMax(_ values: [Float]) -> IntensityWindow {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where !v.isNaN { lo = min(lo, v); hi = max(hi, v) }
        return lo <= hi ? IntensityWindow(lo: Double(lo), hi: Double(hi)) : IntensityWindow(lo: 0, hi: 0)
    }

    /// numpy's default (`linear`) percentile of sorted values.
    static func percentile(_ sorted: [Float], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = p / 100 * Double(sorted.count - 1)
        let i = Int(position.rounded(.down)), f = position - Double(i)
        let a = Double(sorted[i]), b = Double(sorted[min(i + 1, sorted.count - 1)])
        return a + (b - a) * f
    }

    /// Maps values to `bits`-bit integers (rounded, clipped; NaN → 0). A flat window maps to 0.
    func apply(_ values: [Float], bits: Int) -> Samples {
        let top = bits == 8 ? 255.0 : 65535.0
        let span = hi - lo
        let scale = span > 0 ? top / span : 0
        if bits == 8 {
            return .uint8(values.map { v in
                let y = (Double(v) - lo) * scale
                return y.isNaN ? 0 : UInt8(min(max(y.rounded(), 0), top))
            })
        }
        return .uint16(values.map { v in
            let y = (Double(v) - lo) * scale
            return y.isNaN ? 0 : UInt16(min(max(y.rounded(), 0), top))
        })
    }
}
