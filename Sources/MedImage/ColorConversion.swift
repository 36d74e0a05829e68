/// Colour conversions between the spaces medical files use.
public enum ColorConversion {
    /// YBR_FULL (JPEG/JFIF YCbCr, full range) to RGB in place, 8-bit samples colour-by-pixel.
    ///
    /// The ITU-R BT.601 full-range matrix pydicom's `convert_color_space` uses, rounded half to
    /// even and clipped to 0…255.
    public static func ybrFullToRGB(_ samples: inout [UInt8]) {
        precondition(samples.count % 3 == 0)
        for p in stride(from: 0, to: samples.count, by: 3) {
            let y = Double(samples[p]), cb = Double(samples[p + 1]) - 128, cr = Double(samples[p + 2]) - 128
            let r = y + 1.402 * cr
            let g = y - (0.114 * 1.772 / 0.587) * cb - (0.299 * 1.402 / 0.587) * cr
            let b = y + 1.772 * cb
            samples[p] = clip8(r)
            samples[p + 1] = clip8(g)
            samples[p + 2] = clip8(b)
        }
    }

    @inline(__always)
    static func clip8(_ v: Double) -> UInt8 {
        UInt8(min(max(v.rounded(.toNearestOrEven), 0), 255))
    }

    /// One luminance channel from RGB (ITU-R 601-2 luma, as Pillow's `convert("L")`:
    /// L = (R·19595 + G·38470 + B·7471 + 2^15) >> 16 on 8-bit data).
    public static func luma(_ pixels: PixelArray) -> PixelArray {
        precondition(pixels.samplesPerPixel >= 3)
        let n = pixels.frames * pixels.rows * pixels.columns, spp = pixels.samplesPerPixel
        let samples: Samples
        switch pixels.samples {
        case .uint8(let a):
            samples = .uint8((0 ..< n).map { i in
                let r = UInt32(a[i * spp]), g = UInt32(a[i * spp + 1]), b = UInt32(a[i * spp + 2])
                return UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            })
        case .uint16(let a):
            samples = .uint16((0 ..< n).map { i in
                let r = UInt64(a[i * spp]), g = UInt64(a[i * spp + 1]), b = UInt64(a[i * spp + 2])
                return UInt16((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            })
        default:
            let f = pixels.samples.floats()
            samples = .float32((0 ..< n).map { i in
                0.299 * f[i * spp] + 0.587 * f[i * spp + 1] + 0.114 * f[i * spp + 2]
            })
        }
        return PixelArray(frames: pixels.frames, rows: pixels.rows, columns: pixels.columns, samples: samples)
    }
}
