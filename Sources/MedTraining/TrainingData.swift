import Foundation
import MedDataset
import MedImage
import MedMetrics
import MedNN
import Zarr

/// The tiles of one split as float planes in [0, 1] (`[C, T, T]` per tile), read once when
/// they fit in `budget` bytes, else tile by tile from the shards.
final class TileSource: @unchecked Sendable {
    // Used from the training thread only.
    let hr: TileArrayReader
    let lr: TileArrayReader
    let dataMax: Float
    let channels: Int
    let tile: Int
    let lrTile: Int
    private var cache: [(hr: [Float], lr: [Float])]?

    var count: Int { hr.count }

    init(dataset: Dataset, split: String, scale: Int, budget: Int = 1 << 30) throws {
        hr = try dataset.array(split, "hr")
        lr = try dataset.array(split, "lr_x\(scale)")
        dataMax = hr.metadata.dataType == .uint16 ? 65535 : 255
        channels = hr.tileShape[0]
        tile = hr.tileShape[1]
        lrTile = lr.tileShape[1]
        let bytes = hr.count * (tile * tile + lrTile * lrTile) * channels * 4
        if bytes <= budget { cache = try (0 ..< hr.count).map { try (read(hr, $0), read(lr, $0)) } }
    }

    private func read(_ reader: TileArrayReader, _ i: Int) throws -> [Float] {
        let raw = try reader.tile(i)
        let scale = 1 / dataMax
        if reader.metadata.dataType == .uint16 {
            return stride(from: 0, to: raw.count, by: 2).map { Float(UInt16(raw[$0]) | UInt16(raw[$0 + 1]) << 8) * scale }
        }
        return raw.map { Float($0) * scale }
    }

    func pair(_ i: Int) throws -> (hr: [Float], lr: [Float]) {
        if let cache { return cache[i] }
        return (try read(hr, i), try read(lr, i))
    }
}

/// Random aligned patches with the eight flips and 90° rotations, from a seeded generator.
enum Patches {
    /// `(lr, hr)` batches: LR patches `p × p`, HR patches `p·s × p·s`, channel-major tensors.
    static func batch(_ source: TileSource, size: Int, patch p: Int, scale s: Int,
                      rng: inout SplitMix64) throws -> (Tensor<Float>, Tensor<Float>) {
        let c = source.channels, hp = p * s
        var lrT = Tensor<Float>(channels: c, batch: size, rows: p, columns: p)
        var hrT = Tensor<Float>(channels: c, batch: size, rows: hp, columns: hp)
        for b in 0 ..< size {
            let i = Int(rng.next() % UInt64(source.count))
            let (hr, lr) = try source.pair(i)
            let x = Int(rng.next() % UInt64(source.lrTile - p + 1)), y = Int(rng.next() % UInt64(source.lrTile - p + 1))
            let transform = Int(rng.next() % 8)
            copy(lr, tile: source.lrTile, x: x, y: y, size: p, channels: c, transform: transform, into: &lrT, batch: b)
            copy(hr, tile: source.tile, x: x * s, y: y * s, size: hp, channels: c, transform: transform, into: &hrT, batch: b)
        }
        return (lrT, hrT)
    }

    /// Copies a `size²` patch at (x, y), applying one of the 8 dihedral transforms.
    static func copy(_ src: [Float], tile: Int, x: Int, y: Int, size: Int, channels: Int, transform: Int,
                     into t: inout Tensor<Float>, batch b: Int) {
        for ch in 0 ..< channels {
            let base = ch * tile * tile, out = (ch * t.batch + b) * t.plane
            for r in 0 ..< size {
                for c in 0 ..< size {
                    var (sr, sc) = (r, c)
                    if transform & 4 != 0 { (sr, sc) = (sc, sr) }        // transpose
                    if transform & 1 != 0 { sc = size - 1 - sc }         // flip left-right
                    if transform & 2 != 0 { sr = size - 1 - sr }         // flip up-down
                    t.data[out + r * size + c] = src[base + (y + sr) * tile + x + sc]
                }
            }
        }
    }
}
