public import MedImage
/// A mean over part of an SSIM map: a number, or NaN with the reason it is undefined.
public struct RegionValue: Sendable, Equatable {
    public var value: Double
    /// Map pixels averaged.
    public var pixels: Int
    /// Why `value` is NaN (nil when it is a number).
    public var reason: String?

    public init(value: Double, pixels: Int, reason: String?) {
        self.value = value
        self.pixels = pixels
        self.reason = reason
    }

    public static func undefined(_ reason: String) -> RegionValue { RegionValue(value: .nan, pixels: 0, reason: reason) }

    public static func == (a: RegionValue, b: RegionValue) -> Bool {
        (a.value == b.value || (a.value.isNaN && b.value.isNaN)) && a.pixels == b.pixels && a.reason == b.reason
    }
}

/// SSIM inside a mask and outside it (the "background").
public struct MaskedSSIM: Sendable {
    /// Whole-image SSIM (the valid region), as `SSIM.compute` gives it.
    public var whole: Double
    public var inside: RegionValue
    public var background: RegionValue
    /// The map, for reports.
    public var map: Plane
}

extension SSIM {
    /// SSIM of the whole images, averaged over the mask's pixels and over the rest, both within
    /// the valid region (the map without its 5-pixel border). With `wholeWindows`, only pixels
    /// whose 11×11 window lies wholly inside (or wholly outside) the mask count.
    ///
    /// A region with fewer pixels than one window (121), or none left after the border and
    /// `wholeWindows` rules, is undefined: NaN with a reason, never a silent number.
    /// - Parameter mask: `rows × columns`, nonzero inside.
    public func masked(_ x: Plane, _ y: Plane, mask: [UInt8], wholeWindows: Bool = false) throws -> MaskedSSIM {
        guard mask.count == x.rows * x.columns else {
            throw MetricsError("mask has \(mask.count) pixels, the images \(x.columns)×\(x.rows)")
        }
        let result = try compute(x, y, map: true)
        let map = result.map!
        let rows = x.rows, cols = x.columns, r = Self.radius
        let area = Self.window * Self.window
        let insideCount = mask.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        // One region: the mask's nonzero pixels (`inside`) or its zeros, eroded for whole windows.
        func region(inside: Bool, _ name: String) -> RegionValue {
            let count = inside ? insideCount : mask.count - insideCount
            if count < area {
                return .undefined("the \(name) has \(count) pixels, fewer than one \(Self.window)×\(Self.window) SSIM window")
            }
            let keep = wholeWindows ? Self.eroded(mask.map { ($0 != 0) == inside }, rows: rows, columns: cols, radius: r) : nil
            var sum = 0.0, n = 0
            map.values.withUnsafeBufferPointer { m in
                mask.withUnsafeBufferPointer { k in
                    for row in r ..< rows - r {
                        for i in row * cols + r ..< row * cols + cols - r where keep?[i] ?? ((k[i] != 0) == inside) {
                            sum += Double(m[i])
                            n += 1
                        }
                    }
                }
            }
            if n == 0 {
                return .undefined(wholeWindows
                    ? "no \(Self.window)×\(Self.window) window lies wholly inside the \(name)"
                    : "the \(name) lies entirely in the \(r)-pixel border where SSIM is not defined")
            }
            return RegionValue(value: sum / Double(n), pixels: n, reason: nil)
        }
        return MaskedSSIM(whole: result.mean, inside: region(inside: true, "mask"),
                          background: region(inside: false, "background"), map: map)
    }

    /// Pixels whose (2r+1)² neighbourhood lies wholly in `select` (outside the image counts as out).
    static func eroded(_ select: [Bool], rows: Int, columns: Int, radius r: Int) -> [Bool] {
        // Separable: a run of 2r+1 along rows, then along columns.
        var horizontal = [Bool](repeating: false, count: select.count)
        for row in 0 ..< rows {
            var run = 0
            for col in 0 ..< columns {
                run = select[row * columns + col] ? run + 1 : 0
                if run >= 2 * r + 1 { horizontal[row * columns + col - r] = true }
            }
        }
        var out = [Bool](repeating: false, count: select.count)
        for col in 0 ..< columns {
            var run = 0
            for row in 0 ..< rows {
                run = horizontal[row * columns + col] ? run + 1 : 0
                if run >= 2 * r + 1 { out[(row - r) * columns + col] = true }
            }
        }
        return out
    }
}
