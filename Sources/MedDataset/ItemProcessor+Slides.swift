import Foundation
import MedIO
import MedImage
import Zarr

extension ItemProcessor {
    /// Tiles of one slide level, read one tile-sized region at a time (the slide is never in
    /// memory whole). With `filters.tissue`, a tile is kept when enough of its pixels are more
    /// saturated than Otsu's threshold on the saturation of the slide's smallest level.
    func slideTiles(_ url: URL, compressor: Zstd.Compressor) throws -> [TileOutput] {
        let description = try TIFFCodec.describe(path: url.path)
        let levels = description.levels ?? []
        guard recipe.level < levels.count else {
            throw TIFFError(.notFound, path: url.path, "level \(recipe.level) does not exist (the slide has \(levels.count))")
        }
        let level = levels[recipe.level]
        var threshold: Double?
        if recipe.filters.tissue, let smallest = levels.last {
            var options = ReadOptions()
            options.level = smallest.level
            options.frames = .index(0)
            options.maxBytes = min(maxBytes, 256 << 20)
            let thumb = try TIFFCodec.read(path: url.path, options: options)
            threshold = Otsu.threshold(Saturation.values(thumb.pixels))
        }
        let t = recipe.tile
        var out = [TileOutput]()
        guard level.width >= t, level.height >= t else { return [] }
        for y in Swift.stride(from: 0, through: level.height - t, by: recipe.stride) {
            for x in Swift.stride(from: 0, through: level.width - t, by: recipe.stride) {
                var options = ReadOptions()
                options.level = recipe.level
                options.region = Region(x: x, y: y, width: t, height: t)
                options.frames = .index(0)
                options.maxBytes = maxBytes
                let region = try TIFFCodec.read(path: url.path, options: options)
                if let threshold {
                    let s = Saturation.values(region.pixels)
                    let tissue = Double(s.filter { $0 > threshold }.count) / Double(max(s.count, 1))
                    if tissue < recipe.filters.minForeground { continue }
                }
                let (mapped, window) = map(fitChannels(region.pixels), rescale: .identity,
                                           intensity: recipe.intensity.resolved(modality: nil, rescaleType: nil))
                if threshold == nil, recipe.filters.minForeground > 0,
                   tiler.foregroundFraction(mapped, x: 0, y: 0) < recipe.filters.minForeground { continue }
                if tiler.isFlat(mapped, x: 0, y: 0) { continue }
                out.append(tiler.tile(mapped, masks: [], x: 0, y: 0, window: window, frame: nil, level: recipe.level,
                                      origin: (x, y), compressor: compressor))
            }
        }
        return out
    }
}

/// HSV saturation (0…1) of each pixel; gray images have none.
enum Saturation {
    static func values(_ p: PixelArray) -> [Double] {
        let spp = p.samplesPerPixel
        guard spp >= 3 else { return Array(repeating: 0, count: p.rows * p.columns) }
        let v = p.samples.floats()
        return (0 ..< p.rows * p.columns).map { i in
            let r = v[i * spp], g = v[i * spp + 1], b = v[i * spp + 2]
            let hi = max(r, g, b), lo = min(r, g, b)
            return hi > 0 ? Double((hi - lo) / hi) : 0
        }
    }
}

/// Otsu's threshold (1979) over values in 0…1, on a 256-bin histogram.
enum Otsu {
    static func threshold(_ values: [Double]) -> Double {
        var histogram = [Double](repeating: 0, count: 256)
        for v in values where v.isFinite { histogram[min(max(Int(v * 255), 0), 255)] += 1 }
        let total = histogram.reduce(0, +)
        guard total > 0 else { return 0.5 }
        let sumAll = histogram.enumerated().reduce(0.0) { $0 + Double($1.offset) * $1.element }
        var weightB = 0.0, sumB = 0.0, best = 0.0, bestIndex = 0
        for i in 0 ..< 256 {
            weightB += histogram[i]
            let weightF = total - weightB
            if weightB == 0 { continue }
            if weightF == 0 { break }
            sumB += Double(i) * histogram[i]
            let mB = sumB / weightB, mF = (sumAll - sumB) / weightF
            let between = weightB * weightF * (mB - mF) * (mB - mF)
            if between > best { best = between; bestIndex = i }
        }
        return (Double(bestIndex) + 0.5) / 255
    }
}
