public import MedImage

/// Real LR/HR training pairs from a registered field: the LR tiles are the coarse image's own
/// pixels (real optics, never resampled), and the HR tiles are the field resampled onto exactly
/// `factor` × the coarse grid under them. The coarse grid is the one the field covers completely:
/// columns ⌈x⌉ … ⌊x + width/scale⌋ (likewise rows, with 0.05 pixel of tolerance), so no HR tile
/// reaches past the field.
public struct PairCutter: Sendable {
    /// The dataset's scale: HR tiles are `factor` times the LR tiles.
    public var factor: Int
    /// HR tile side (a multiple of `factor`).
    public var tile: Int
    /// HR distance between tiles (a multiple of `factor`).
    public var stride: Int

    public struct Pair: Sendable {
        /// The LR tile's top-left corner in coarse-image pixels.
        public var x: Int, y: Int
        public var hr: PixelArray
        public var lr: PixelArray
    }

    public init(factor: Int, tile: Int, stride: Int? = nil) {
        precondition(factor >= 1 && tile % factor == 0 && (stride ?? tile) % factor == 0)
        self.factor = factor
        self.tile = tile
        self.stride = stride ?? tile
    }

    /// The coarse-grid rectangle (x0, y0, x1, y1), end exclusive, that `field` covers completely
    /// when it sits at `result` inside a `columns` × `rows` coarse image.
    public static func covered(fieldColumns: Int, fieldRows: Int, at result: Registration.Result,
                               columns: Int, rows: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
        // A twentieth of a pixel of tolerance: a field found at x = 25.004 still covers column 25.
        let e = 0.05
        let x0 = max(0, Int((result.x - e).rounded(.up))), y0 = max(0, Int((result.y - e).rounded(.up)))
        let x1 = min(columns, Int((result.x + Double(fieldColumns) / result.scale + e).rounded(.down)))
        let y1 = min(rows, Int((result.y + Double(fieldRows) / result.scale + e).rounded(.down)))
        return (x0, y0, max(x0, x1), max(y0, y1))
    }

    /// Every tile pair of one field found at `result` in `coarse` (same samples per pixel and
    /// sample type as `field`). Empty when the covered area is smaller than one LR tile.
    public func pairs(coarse: PixelArray, field: PixelArray, at result: Registration.Result) -> [Pair] {
        precondition(coarse.samplesPerPixel == field.samplesPerPixel && coarse.frames == 1 && field.frames == 1)
        let lrSide = tile / factor, lrStride = stride / factor
        let box = Self.covered(fieldColumns: field.columns, fieldRows: field.rows, at: result,
                               columns: coarse.columns, rows: coarse.rows)
        guard box.x1 - box.x0 >= lrSide, box.y1 - box.y0 >= lrSide else { return [] }
        // Field pixels per HR output pixel; field coordinate of coarse position p is (p − x)·scale.
        let step = result.scale / Double(factor)
        var out = [Pair]()
        for y in Swift.stride(from: box.y0, through: box.y1 - lrSide, by: lrStride) {
            for x in Swift.stride(from: box.x0, through: box.x1 - lrSide, by: lrStride) {
                let lr = coarse.cropped(x: x, y: y, width: lrSide, height: lrSide)
                let hr = Resample.bicubicRegion(field, originX: (Double(x) - result.x) * result.scale,
                                                originY: (Double(y) - result.y) * result.scale, step: step,
                                                columns: tile, rows: tile)
                out.append(Pair(x: x, y: y, hr: hr, lr: lr))
            }
        }
        return out
    }
}
