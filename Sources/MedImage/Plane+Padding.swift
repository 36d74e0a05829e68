/// How a filter reads outside a plane.
public enum BorderMode: String, Sendable, CaseIterable {
    /// Mirror with the edge sample repeated: … c b a | a b c … (scipy.ndimage's `reflect`,
    /// NumPy's `symmetric`).
    case symmetric
    /// Mirror about the edge sample, not repeating it: … c b | a b c … (NumPy's and
    /// scikit-image's `reflect`).
    case reflect

    /// The index inside `0 ..< n` that position `i` reads (any `i`, repeating periodically).
    @inlinable
    public func index(_ i: Int, _ n: Int) -> Int {
        switch self {
        case .symmetric:
            let period = 2 * n
            var m = i % period
            if m < 0 { m += period }
            return m < n ? m : period - 1 - m
        case .reflect:
            guard n > 1 else { return 0 }
            let period = 2 * n - 2
            var m = i % period
            if m < 0 { m += period }
            return m < n ? m : period - m
        }
    }
}

extension Plane {
    /// The plane with `border` samples added on every side, as a row-major array of
    /// `(rows + 2·border) × (columns + 2·border)` values.
    func padded<T>(by border: Int, mode: BorderMode, as convert: (Float) -> T) -> [T] {
        let pr = rows + 2 * border, pc = columns + 2 * border
        let columnIndex = (0 ..< pc).map { mode.index($0 - border, columns) }
        var out = [T]()
        out.reserveCapacity(pr * pc)
        values.withUnsafeBufferPointer { v in
            for r in 0 ..< pr {
                let base = mode.index(r - border, rows) * columns
                for c in columnIndex { out.append(convert(v[base + c])) }
            }
        }
        return out
    }
}
