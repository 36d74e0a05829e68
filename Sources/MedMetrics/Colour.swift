public import MedImage

/// Colour handling for metrics: planes per channel, BT.601 luminance, the SR border crop.
public enum MetricPlanes {
    /// The planes of a single-frame image: one per sample (`perChannel`), or one BT.601 luma
    /// plane Y = 0.299 R + 0.587 G + 0.114 B (in the data's own units) for colour.
    public static func planes(_ pixels: PixelArray, luminance: Bool, border: Int = 0) -> [Plane] {
        let spp = pixels.samplesPerPixel, n = pixels.rows * pixels.columns
        var out: [Plane]
        if spp >= 3 && luminance {
            out = [Plane(luminanceOf: pixels)]
        } else if spp == 1 {
            out = [Plane(rows: pixels.rows, columns: pixels.columns, values: pixels.frame(0).samples.floats())]
        } else {
            let v = pixels.frame(0).samples.floats()
            let channels = spp == 4 || spp == 2 ? spp - 1 : spp  // alpha is not image content
            out = (0 ..< channels).map { c in
                Plane(rows: pixels.rows, columns: pixels.columns, values: (0 ..< n).map { v[$0 * spp + c] })
            }
        }
        return out.map { $0.cropped(border: border) }
    }
}
