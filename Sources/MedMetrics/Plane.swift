/// One image plane of `Float` samples, row-major, with its shape: the input of every metric.
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
}
