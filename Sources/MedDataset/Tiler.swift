import MedImage
import Zarr

/// One tile ready for the store: encoded inner chunks and its manifest facts.
struct TileOutput {
    var x: Int
    var y: Int
    var frame: Int?
    var level: Int?
    var maskFraction: Double
    var window: IntensityWindow
    /// Encoded chunks: `hr`, one per scale (recipe order), then `mask` when `hasMask`.
    var chunks: [[UInt8]]
    /// The tile's mask has foreground, so it has a mask chunk (an all-zero mask is not stored).
    var hasMask: Bool
}

/// Cuts mapped images into tiles with masks and LR versions (MedSR's one degradation:
/// `Resample.bicubic`, Pillow-compatible).
struct Tiler: Sendable {
    let recipe: Recipe
    let hrArray: ArrayMetadata
    let lrArrays: [ArrayMetadata]
    let maskArray: ArrayMetadata

    init(recipe: Recipe) {
        self.recipe = recipe
        let c = recipe.tileChannels, t = recipe.tile
        let type: DataType = recipe.bits == 8 ? .uint8 : .uint16
        let compression = recipe.chunkCompression ?? .none
        func array(_ shape: [Int], _ type: DataType) -> ArrayMetadata {
            ArrayMetadata(shape: [0] + shape, dataType: type, shardShape: [recipe.tilesPerShard] + shape,
                          chunkShape: [1] + shape, compression: compression)
        }
        hrArray = array([c, t, t], type)
        lrArrays = recipe.scales.map { array([c, t / $0, t / $0], type) }
        maskArray = array([max(recipe.masks.count, 1), t, t], .uint8)
    }

    /// Tile origins: the stride grid, then (optionally) one tile centred on each mask component.
    /// Grid tiles must pass the foreground test; mask-centred tiles always stay.
    func origins(columns: Int, rows: Int, masks: [Mask], isForeground: (Int, Int) -> Bool) -> [(Int, Int)] {
        let t = recipe.tile
        guard columns >= t && rows >= t else { return [] }
        var out = [(Int, Int)]()
        var seen = Set<Int>()
        for y in Swift.stride(from: 0, through: rows - t, by: recipe.stride) {
            for x in Swift.stride(from: 0, through: columns - t, by: recipe.stride) where isForeground(x, y) {
                out.append((x, y))
                seen.insert(y * columns + x)
            }
        }
        if recipe.filters.centreOnMasks, let mask = masks.first {
            for box in MaskComponents.boundingBoxes(mask) {
                let cx = (box.x0 + box.x1 + 1) / 2, cy = (box.y0 + box.y1 + 1) / 2
                let x = min(max(cx - t / 2, 0), columns - t), y = min(max(cy - t / 2, 0), rows - t)
                if seen.insert(y * columns + x).inserted { out.append((x, y)) }
            }
        }
        return out
    }

    /// The sample the foreground tests look at: the first, or the centre image of a context stack.
    func probeSample(_ samplesPerPixel: Int) -> Int { recipe.context == nil ? 0 : samplesPerPixel / 2 }

    /// Fraction of a tile's pixels whose first sample (the centre image of a context stack) exceeds the foreground level.
    func foregroundFraction(_ pixels: PixelArray, x: Int, y: Int) -> Double {
        let t = recipe.tile, spp = pixels.samplesPerPixel, cols = pixels.columns, probe = probeSample(spp)
        let top = recipe.bits == 8 ? 255.0 : 65535.0
        let level = recipe.filters.foregroundLevel * top
        var count = 0
        func scan<T: BinaryInteger>(_ a: [T]) {
            a.withUnsafeBufferPointer { p in
                for r in y ..< y + t {
                    var i = (r * cols + x) * spp + probe
                    for _ in 0 ..< t {
                        if Double(p[i]) > level { count += 1 }
                        i += spp
                    }
                }
            }
        }
        switch pixels.samples {
        case .uint8(let a): scan(a)
        case .uint16(let a): scan(a)
        default: preconditionFailure("tiles are mapped to uint8 or uint16 first")
        }
        return Double(count) / Double(t * t)
    }

    /// Whether a tile is (nearly) constant: its first sample's standard deviation is below
    /// `filters.minContrast` (default 0.01) of the output range.
    func isFlat(_ pixels: PixelArray, x: Int, y: Int) -> Bool {
        let minimum = recipe.filters.minContrast ?? 0.01
        guard minimum > 0 else { return false }
        let t = recipe.tile, spp = pixels.samplesPerPixel, cols = pixels.columns, probe = probeSample(spp)
        let top = recipe.bits == 8 ? 255.0 : 65535.0
        var sum = 0.0, squares = 0.0
        func scan<T: BinaryInteger>(_ a: [T]) {
            a.withUnsafeBufferPointer { p in
                for r in y ..< y + t {
                    var i = (r * cols + x) * spp + probe
                    for _ in 0 ..< t {
                        let v = Double(p[i])
                        sum += v
                        squares += v * v
                        i += spp
                    }
                }
            }
        }
        switch pixels.samples {
        case .uint8(let a): scan(a)
        case .uint16(let a): scan(a)
        default: preconditionFailure("tiles are mapped to uint8 or uint16 first")
        }
        let n = Double(t * t), mean = sum / n
        let variance = max(squares / n - mean * mean, 0)
        return variance.squareRoot() < minimum * top
    }

    /// Tiles of a mapped single-frame image (uint8 or uint16, `recipe.channels` samples).
    func tiles(_ mapped: PixelArray, masks: [Mask], window: IntensityWindow, frame: Int?, level: Int?,
               compressor: Zstd.Compressor) -> [TileOutput] {
        let minimum = recipe.filters.minForeground
        let origins = origins(columns: mapped.columns, rows: mapped.rows, masks: masks) { x, y in
            (minimum <= 0 || foregroundFraction(mapped, x: x, y: y) >= minimum) && !isFlat(mapped, x: x, y: y)
        }
        return origins.map { x, y in
            tile(mapped, masks: masks, x: x, y: y, window: window, frame: frame, level: level, compressor: compressor)
        }
    }

    /// One tile at (x, y) of `mapped` (which may itself be a region of exactly one tile).
    func tile(_ mapped: PixelArray, masks: [Mask], x: Int, y: Int, window: IntensityWindow, frame: Int?, level: Int?,
              origin: (Int, Int)? = nil, compressor: Zstd.Compressor) -> TileOutput {
        let t = recipe.tile
        let hr = mapped.columns == t && mapped.rows == t ? mapped : mapped.cropped(x: x, y: y, width: t, height: t)
        var chunks = [hrArray.encode(chunk: Self.planarBytes(hr), compressor: compressor)]
        for (s, array) in zip(recipe.scales, lrArrays) {
            let lr = Resample.bicubic(hr, columns: t / s, rows: t / s)
            chunks.append(array.encode(chunk: Self.planarBytes(lr), compressor: compressor))
        }
        // A mask tile with no foreground is not stored: its chunk stays empty in the shard and
        // reads as the fill value, 0 (what zarr-python does with chunks equal to the fill value).
        // With several masks the chunk holds them all, in the recipe's order; it is stored when
        // any has foreground, and `maskFraction` is the first mask's.
        var fraction = 0.0, any = false
        if !masks.isEmpty {
            let cropped = masks.map { $0.rows == t && $0.columns == t ? $0 : $0.cropped(x: x, y: y, width: t, height: t) }
            fraction = cropped[0].fraction
            any = cropped.contains { !$0.isEmpty }
            if any { chunks.append(maskArray.encode(chunk: cropped.flatMap(\.values), compressor: compressor)) }
        }
        let (ox, oy) = origin ?? (x, y)
        return TileOutput(x: ox, y: oy, frame: frame, level: level, maskFraction: fraction, window: window,
                          chunks: chunks, hasMask: any)
    }

    /// `[C, H, W]` little-endian bytes of an interleaved single-frame array.
    static func planarBytes(_ p: PixelArray) -> [UInt8] {
        let spp = p.samplesPerPixel
        if spp == 1 { return p.samples.littleEndianBytes() }
        let interleaved = p.samples.littleEndianBytes()
        let size = p.sampleType.byteCount, plane = p.rows * p.columns
        var out = [UInt8](repeating: 0, count: interleaved.count)
        for i in 0 ..< plane {
            for c in 0 ..< spp {
                for b in 0 ..< size { out[(c * plane + i) * size + b] = interleaved[(i * spp + c) * size + b] }
            }
        }
        return out
    }
}

/// Connected components of a mask (8-connected), as bounding boxes in scan order.
enum MaskComponents {
    struct Box { var x0: Int, y0: Int, x1: Int, y1: Int }

    static func boundingBoxes(_ mask: Mask) -> [Box] {
        let w = mask.columns, h = mask.rows
        var label = [Bool](repeating: false, count: w * h)
        var boxes = [Box]()
        var stack = [Int]()
        for start in 0 ..< w * h where mask.values[start] != 0 && !label[start] {
            var box = Box(x0: start % w, y0: start / w, x1: start % w, y1: start / w)
            label[start] = true
            stack.append(start)
            while let p = stack.popLast() {
                let px = p % w, py = p / w
                box.x0 = min(box.x0, px); box.x1 = max(box.x1, px); box.y0 = min(box.y0, py); box.y1 = max(box.y1, py)
                for dy in -1 ... 1 {
                    for dx in -1 ... 1 {
                        let nx = px + dx, ny = py + dy
                        guard nx >= 0, ny >= 0, nx < w, ny < h else { continue }
                        let q = ny * w + nx
                        if mask.values[q] != 0 && !label[q] { label[q] = true; stack.append(q) }
                    }
                }
            }
            boxes.append(box)
        }
        return boxes
    }
}
