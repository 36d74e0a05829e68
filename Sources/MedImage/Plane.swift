/// One image plane of `Float` samples, row-major, with its shape: what metrics and
/// registration work on.
public struct Plane: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Float]

    /// - Precondition: `values.count == rows * columns`.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "plane has \(values.count) values for \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// The sub-rectangle without `border` pixels on every side.
    public func cropped(border: Int) -> Plane {
        guard border > 0 else { return self }
        let r = max(rows - 2 * border, 0), c = max(columns - 2 * border, 0)
        var out = [Float]()
        out.reserveCapacity(r * c)
        for y in border ..< border + r { out.append(contentsOf: values[(y * columns + border) ..< (y * columns + border + c)]) }
        return Plane(rows: r, columns: c, values: out)
    }

    /// Luminance (BT.601: 0.299 R + 0.587 G + 0.114 B) of frame 0, or its only channel.
    public init(luminanceOf p: PixelArray) {
        let spp = p.samplesPerPixel, v = p.frame(0).samples.floats(), n = p.rows * p.columns
        var values = [Float](repeating: 0, count: n)
        for i in 0 ..< n {
            if spp >= 3 {
                let r = Double(v[i * spp]), g = Double(v[i * spp + 1]), b = Double(v[i * spp + 2])
                values[i] = Float(0.299 * r + 0.587 * g + 0.114 * b)
            } else {
                values[i] = v[i * spp]
            }
        }
        self.init(rows: p.rows, columns: p.columns, values: values)
    }
}
