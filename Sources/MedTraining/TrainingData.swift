import Foundation
import MedDataset
import MedImage
import MedMetrics
import MedNN
import Zarr

/// Aligned pairs for image-to-image training: the network's input and its target, planar
/// `[C, side, side]` floats in [0, 1].
protocol PairSource: AnyObject {
    var count: Int { get }
    var channels: Int { get }
    /// Side of a target tile.
    var tile: Int { get }
    /// Side of an input tile (`tile / scale`).
    var inputTile: Int { get }
    var scale: Int { get }
    /// 255 or 65535: what stored values were divided by.
    var dataMax: Float { get }
    /// Target and input of tile `i`; `variant` draws the random part of a degradation (the
    /// same `i` and `variant` give the same bytes).
    func pair(_ i: Int, variant: UInt64) throws -> (target: [Float], input: [Float])
    /// Whether `variant` matters (a batch then draws one per patch from the generator).
    var randomised: Bool { get }
}

/// The tiles of one split as float planes in [0, 1] (`[C, T, T]` per tile), HR and, for SR,
/// the LR array of one scale; read once when they fit in `budget` bytes, else tile by tile.
final class TileSource: PairSource, @unchecked Sendable {
    // Used from the training thread only.
    let hr: TileArrayReader
    let lr: TileArrayReader?
    let dataMax: Float
    let channels: Int
    let tile: Int
    let inputTile: Int
    let scale: Int
    private var cache: [(hr: [Float], lr: [Float])]?

    var count: Int { hr.count }

    /// - Parameter scale: the LR array to pair with HR, or nil for HR alone.
    init(dataset: Dataset, split: String, scale: Int?, budget: Int = 1 << 30) throws {
        hr = try dataset.array(split, "hr")
        lr = try scale.map { try dataset.array(split, "lr_x\($0)") }
        dataMax = hr.metadata.dataType == .uint16 ? 65535 : 255
        channels = hr.tileShape[0]
        tile = hr.tileShape[1]
        inputTile = lr?.tileShape[1] ?? tile
        self.scale = scale ?? 1
        let bytes = hr.count * (tile * tile + (lr == nil ? 0 : inputTile * inputTile)) * channels * 4
        if bytes <= budget {
            let lr = lr
            cache = try (0 ..< hr.count).map { i in (try read(hr, i), try lr.map { try read($0, i) } ?? []) }
        }
    }

    private func read(_ reader: TileArrayReader, _ i: Int) throws -> [Float] {
        let raw = try reader.tile(i)
        let scale = 1 / dataMax
        if reader.metadata.dataType == .uint16 {
            return stride(from: 0, to: raw.count, by: 2).map { Float(UInt16(raw[$0]) | UInt16(raw[$0 + 1]) << 8) * scale }
        }
        return raw.map { Float($0) * scale }
    }

    /// HR and LR (empty without an LR array) of tile `i`.
    func tiles(_ i: Int) throws -> (hr: [Float], lr: [Float]) {
        if let cache { return cache[i] }
        return (try read(hr, i), try lr.map { try read($0, i) } ?? [])
    }

    var randomised: Bool { false }

    func pair(_ i: Int, variant: UInt64) throws -> (target: [Float], input: [Float]) {
        let t = try tiles(i)
        return (t.hr, t.lr)
    }
}

/// Restoration pairs: each HR tile is the target, and its degraded copy the input, made on the
/// fly by `degrade(planes, channels, side, seed)` with a seed from the run's seed, the tile's
/// index and the variant (validation uses variant 0: the same degraded tiles at every check).
final class DegradedSource: PairSource, @unchecked Sendable {
    let base: TileSource
    let seed: UInt64
    let degrade: @Sendable ([Float], Int, Int, UInt64) throws -> [Float]

    init(base: TileSource, seed: UInt64, degrade: @escaping @Sendable ([Float], Int, Int, UInt64) throws -> [Float]) {
        self.base = base
        self.seed = seed
        self.degrade = degrade
    }

    var count: Int { base.count }
    var channels: Int { base.channels }
    var tile: Int { base.tile }
    var inputTile: Int { base.tile }
    var scale: Int { 1 }
    var dataMax: Float { base.dataMax }
    var randomised: Bool { true }

    func pair(_ i: Int, variant: UInt64) throws -> (target: [Float], input: [Float]) {
        let hr = try base.tiles(i).hr
        var mix = SplitMix64(seed: seed ^ (UInt64(i) &* 0x9E37_79B9_7F4A_7C15) ^ (variant &* 0xD1B5_4A32_D192_ED03))
        // Stored back in the dataset's sample type, as a degraded file would hold it (and as
        // `evaluate --task restore` makes its inputs).
        let top = dataMax
        return (hr, try degrade(hr, channels, tile, mix.next()).map { min(max(($0 * top).rounded(), 0), top) / top })
    }
}

/// Random aligned patches with the eight flips and 90° rotations, from a seeded generator.
enum Patches {
    /// `(input, target)` batches: input patches `p × p`, target patches `p·s × p·s`,
    /// channel-major tensors.
    static func batch(_ source: any PairSource, size: Int, patch p: Int,
                      rng: inout SplitMix64) throws -> (Tensor<Float>, Tensor<Float>) {
        let c = source.channels, s = source.scale, hp = p * s
        var inputs = Tensor<Float>(channels: c, batch: size, rows: p, columns: p)
        var targets = Tensor<Float>(channels: c, batch: size, rows: hp, columns: hp)
        for b in 0 ..< size {
            let i = Int(rng.next() % UInt64(source.count))
            let variant = source.randomised ? rng.next() : 0
            let (target, input) = try source.pair(i, variant: variant)
            let x = Int(rng.next() % UInt64(source.inputTile - p + 1)), y = Int(rng.next() % UInt64(source.inputTile - p + 1))
            let transform = Int(rng.next() % 8)
            copy(input, tile: source.inputTile, x: x, y: y, size: p, channels: c, transform: transform, into: &inputs, batch: b)
            copy(target, tile: source.tile, x: x * s, y: y * s, size: hp, channels: c, transform: transform, into: &targets, batch: b)
        }
        return (inputs, targets)
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
