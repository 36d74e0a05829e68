import Foundation

/// Which values an output carries.
public enum ValueMode: String, Sendable, CaseIterable, Codable {
    /// The raw stored samples (what pydicom's `pixel_array` gives).
    case stored
    /// Stored × slope + intercept (Hounsfield units for CT).
    case modality
    /// Windowed (or VOI LUT), polarity applied, scaled to the output's bit depth.
    case display
}

/// How `display` values choose their window.
public enum WindowChoice: Sendable, Equatable {
    /// The file's first window, else its VOI LUT, else the frame's own minimum and maximum.
    case auto
    /// No window: the full range the stored bits can hold (after rescale) maps to the output.
    case none
    /// This window.
    case explicit(Window)

    /// Parses `auto`, `none`, or `C/W` (e.g. `40/400`).
    public init?(argument: String) {
        switch argument {
        case "auto": self = .auto
        case "none": self = .none
        default:
            let parts = argument.split(separator: "/")
            guard parts.count == 2, let c = Double(parts[0]), let w = Double(parts[1]), w >= 1 else { return nil }
            self = .explicit(Window(center: c, width: w))
        }
    }
}

/// The DICOM grayscale pipeline (PS3.4 N.2): modality transform, VOI transform, polarity.
public enum IntensityMapping {
    /// Modality values of every frame. With an identity rescale the stored samples are returned
    /// unchanged (same type); otherwise float32.
    public static func modalityValues(_ pixels: PixelArray, rescale: Rescale) -> PixelArray {
        if rescale.isIdentity { return pixels }
        let slope = Float(rescale.slope), intercept = Float(rescale.intercept)
        var values = pixels.samples.floats()
        for i in values.indices { values[i] = values[i] * slope + intercept }
        return PixelArray(frames: pixels.frames, rows: pixels.rows, columns: pixels.columns,
                          samplesPerPixel: pixels.samplesPerPixel, samples: .float32(values))
    }

    /// Modality values of every frame, each through its own rescale when the frames have their
    /// own (`metadata.frameRescales`), else through `metadata.rescale`.
    public static func modalityValues(_ pixels: PixelArray, metadata: ImageMetadata) -> PixelArray {
        guard let rescales = metadata.frameRescales, rescales.count == pixels.frames, pixels.frames > 1 else {
            return modalityValues(pixels, rescale: metadata.rescale)
        }
        var values = pixels.samples.floats()
        let perFrame = pixels.samplesPerFrame
        for (f, r) in rescales.enumerated() {
            let slope = Float(r.slope), intercept = Float(r.intercept)
            for i in f * perFrame ..< (f + 1) * perFrame { values[i] = values[i] * slope + intercept }
        }
        return PixelArray(frames: pixels.frames, rows: pixels.rows, columns: pixels.columns,
                          samplesPerPixel: pixels.samplesPerPixel, samples: .float32(values))
    }

    /// Display values (`bits` 8 or 16) of every frame, and the window used on the first frame.
    public static func displayValues(_ pixels: PixelArray, metadata: ImageMetadata, window: WindowChoice,
                                     bits: Int) -> (pixels: PixelArray, window: Window?) {
        precondition(bits == 8 || bits == 16)
        let maxOut = Double(bits == 8 ? 255 : 65535)
        if let palette = metadata.palette, metadata.photometric == "PALETTE COLOR", pixels.samplesPerPixel == 1 {
            return (applyPalette(pixels, palette, maxOut: maxOut, bits: bits), nil)
        }
        if pixels.samplesPerPixel > 1 {
            return (scaleColour(pixels, bits: bits, storedBits: metadata.bitsStored), nil)
        }
        let invert = metadata.photometric == "MONOCHROME1"
        var out = [Double](repeating: 0, count: pixels.samples.count)
        var usedWindow: Window?
        let perFrame = pixels.samplesPerFrame
        let stored = pixels.samples.floats()
        for f in 0 ..< pixels.frames {
            let range = f * perFrame ..< (f + 1) * perFrame
            let rescale = metadata.frameRescales.flatMap { f < $0.count ? $0[f] : nil } ?? metadata.rescale
            let values = stored[range].map { Double($0) * rescale.slope + rescale.intercept }
            let chosen: Window?
            var lut: LookupTable?
            switch window {
            case .explicit(let w): chosen = w
            case .auto:
                chosen = metadata.windows.first
                if chosen == nil { lut = metadata.voiLUT }
            case .none: chosen = nil
            }
            if f == 0 { usedWindow = chosen }
            var mapped: [Double]
            if let w = chosen {
                mapped = values.map { applyWindow($0, w) }
            } else if let lut {
                let scale = maxOut / Double((1 << lut.bits) - 1)
                mapped = values.map { Double(lut.lookup(Int(clampingFinite: $0))) * scale }
                mapped = mapped.map { min($0, maxOut) / maxOut }
            } else {
                let (lo, hi): (Double, Double)
                // A photograph-style file (PNG, JPEG, BMP, TIFF) of unsigned 8- or 16-bit samples
                // has no window: its grey levels are kept (the stored range, as with `none`), so
                // an 8-bit grey image converts to the same 8-bit levels instead of being stretched.
                let rasterLevels = ["PNG", "JPEG", "BMP", "TIFF"].contains(metadata.format)
                    && [.uint8, .uint16].contains(pixels.sampleType)
                if case .none = window, let bitsStored = metadata.bitsStored {
                    let span = pow(2.0, Double(bitsStored))
                    let a = (metadata.isSigned ? -span / 2 : 0) * metadata.rescale.slope + metadata.rescale.intercept
                    let b = (metadata.isSigned ? span / 2 - 1 : span - 1) * metadata.rescale.slope
                        + metadata.rescale.intercept
                    (lo, hi) = (min(a, b), max(a, b))
                } else if rasterLevels {
                    (lo, hi) = (0, pixels.sampleType == .uint8 ? 255 : Double((1 << min(metadata.bitsStored ?? 16, 16)) - 1))
                } else {
                    (lo, hi) = (values.min() ?? 0, values.max() ?? 0)
                }
                if f == 0 { usedWindow = Window(center: (lo + hi) / 2, width: hi - lo, function: rasterLevels ? "STORED" : "MINMAX") }
                mapped = values.map { hi > lo ? ($0 - lo) / (hi - lo) : 0 }
            }
            for (i, m) in mapped.enumerated() {
                let y = min(max(m, 0), 1)
                out[range.lowerBound + i] = (invert ? 1 - y : y) * maxOut
            }
        }
        return (PixelArray(frames: pixels.frames, rows: pixels.rows, columns: pixels.columns,
                           samples: quantized(out, bits: bits)), usedWindow)
    }

    /// The VOI window function as a fraction 0…1 (PS3.3 C.11.2.1.2).
    public static func applyWindow(_ x: Double, _ w: Window) -> Double {
        switch w.function.uppercased() {
        case "LINEAR_EXACT":
            if x <= w.center - w.width / 2 { return 0 }
            if x > w.center + w.width / 2 { return 1 }
            return (x - w.center) / w.width + 0.5
        case "SIGMOID":
            return 1 / (1 + exp(-4 * (x - w.center) / w.width))
        default:
            let c = w.center - 0.5, width = w.width - 1
            if width <= 0 { return x <= c ? 0 : 1 }
            if x <= c - width / 2 { return 0 }
            if x > c + width / 2 { return 1 }
            return (x - c) / width + 0.5
        }
    }

    static func applyPalette(_ pixels: PixelArray, _ palette: Palette, maxOut: Double, bits: Int) -> PixelArray {
        let indices = pixels.samples.floats()
        var out = [Double]()
        out.reserveCapacity(indices.count * 3)
        for v in indices {
            let i = Int(clampingFinite: Double(v))
            for table in [palette.red, palette.green, palette.blue] {
                let entryMax = Double((1 << table.bits) - 1)
                out.append(Double(table.lookup(i)) / entryMax * maxOut)
            }
        }
        return PixelArray(frames: pixels.frames, rows: pixels.rows, columns: pixels.columns, samplesPerPixel: 3,
                          samples: quantized(out, bits: bits))
    }

    static func scaleColour(_ pixels: PixelArray, bits: Int, storedBits: Int?) -> PixelArray {
        switch (pixels.samples, bits) {
        case (.uint8, 8): return pixels
        case (.uint8(let a), 16):
            return PixelArray(frames: pixels.frames, rows: pixels.rows, columns: pixels.columns,
                              samplesPerPixel: pixels.samplesPerPixel, samples: .uint16(a.map { UInt16($0) * 257 }))
        default:
            let values = pixels.samples.floats()
            let inMax = pixels.sampleType == .float32 ? 1 : pow(2, Double(min(max(storedBits ?? 16, 1), 32))) - 1
            let outMax: Double = bits == 8 ? 255 : 65535
            let scaled = values.map { Double($0) / inMax * outMax }
            return PixelArray(frames: pixels.frames, rows: pixels.rows, columns: pixels.columns,
                              samplesPerPixel: pixels.samplesPerPixel, samples: quantized(scaled, bits: bits))
        }
    }

    /// Rounds to 8 or 16 bits, clamping to the type's range; NaN becomes 0 (never a trap).
    static func quantized(_ values: [Double], bits: Int) -> Samples {
        let top = bits == 8 ? 255.0 : 65535.0
        let clamped = values.map { $0.isNaN ? 0 : min(max($0.rounded(), 0), top) }
        return bits == 8 ? .uint8(clamped.map { UInt8($0) }) : .uint16(clamped.map { UInt16($0) })
    }
}

extension Int {
    /// The value rounded down and clamped to ±2^53; NaN becomes 0. Never traps.
    init(clampingFinite value: Double) {
        self = value.isNaN ? 0 : Int(Swift.min(Swift.max(value.rounded(.down), -9.0e15), 9.0e15))
    }
}
