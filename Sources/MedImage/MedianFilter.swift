import MedKernels

/// The median of each `size × size` window, borders `BorderMode.symmetric`: equal to
/// `scipy.ndimage.median_filter(x, size=size, mode="reflect")` (bit for bit: a median picks a
/// sample). `size` is odd. NaN samples give an unspecified result.
public struct MedianFilter: PlaneFilter, Equatable {
    public var size: Int
    /// Rows per parallel job (a fixed split, so the result never depends on the thread count).
    static let band = 16

    /// - Precondition: `size` odd and ≥ 1.
    public init(size: Int) {
        precondition(size >= 1 && size % 2 == 1, "median size \(size) must be odd")
        self.size = size
    }

    public var name: String { "median \(size)" }

    public func apply(_ plane: Plane) -> Plane { apply(plane, workers: defaultWorkers) }

    public func apply(_ plane: Plane, workers: Int) -> Plane {
        guard size > 1, plane.rows > 0, plane.columns > 0 else { return plane }
        let half = size / 2, pc = plane.columns + 2 * half, cols = plane.columns, k = size
        let padded = plane.padded(by: half, mode: .symmetric) { $0 }
        var out = [Float](repeating: 0, count: plane.rows * cols)
        let bands = (plane.rows + Self.band - 1) / Self.band, rows = plane.rows
        padded.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = SendableConstPointer(src.baseAddress!), d = SendablePointer(dst.baseAddress!)
                parallelFor(bands, workers: workers) { b, _ in
                    let r0 = b * Self.band, r1 = min(rows, r0 + Self.band)
                    Kernels.medianRows(s.pointer, paddedColumns: pc, size: k, row0: r0, row1: r1, columns: cols, into: d.pointer)
                }
            }
        }
        return Plane(rows: plane.rows, columns: cols, values: out)
    }
}
