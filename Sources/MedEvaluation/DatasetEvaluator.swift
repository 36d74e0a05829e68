import Foundation
import Dispatch
public import MedDataset
public import MedImage
import MedMetrics
public import MedNN
import Synchronization
import Zarr

/// Scores the baselines (and, once training lands, a model) on the tiles of a dataset split:
/// bicubic upscaling of the LR tile with the dataset's own degradation kernel, and an unsharp
/// mask on top of it, both against the HR tile, with SSIM inside and outside the tile's mask.
public struct DatasetEvaluator: Sendable {
    public var dataset: Dataset
    public var split: String
    public var scale: Int
    public var sharpen = UnsharpMask()
    /// Colour tiles: luminance (BT.601 Y) when true, else per channel.
    public var luminance = true
    /// Crop `scale` pixels from every side before scoring (the SR convention).
    public var cropBorder = false
    public var wholeWindows = false
    public var limit: Int?
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// A trained model, scored as `model` beside the baselines.
    public var model: EnhancementModel?
    /// Restoration instead of SR: inputs are the HR tiles degraded, baselines are filters.
    public var restoration: RestorationSetup?

    /// How restoration is evaluated: the degradation that makes each input (from the tile's
    /// index, the same bytes every run) and the filter baselines scored beside the model.
    public struct RestorationSetup: Sendable {
        /// The spec, as the report names it (`blur:gaussian:2`).
        public var spec: String
        /// Degrades planar `[C, T, T]` floats in [0, 1] with a seed.
        public var degrade: @Sendable ([Float], Int, Int, UInt64) throws -> [Float]
        /// Named filters applied to the degraded tile (planar floats in [0, 1], channels, side).
        public var baselines: [(name: String, apply: @Sendable ([Float], Int, Int) -> [Float])]
        public var seed: UInt64

        public init(spec: String, seed: UInt64, degrade: @escaping @Sendable ([Float], Int, Int, UInt64) throws -> [Float],
                    baselines: [(name: String, apply: @Sendable ([Float], Int, Int) -> [Float])]) {
            self.spec = spec
            self.seed = seed
            self.degrade = degrade
            self.baselines = baselines
        }
    }

    public init(dataset: Dataset, split: String, scale: Int) {
        self.dataset = dataset
        self.split = split
        self.scale = scale
    }

    /// The images of one tile, as the report shows them.
    public struct TileImages: Sendable {
        public var lr: PixelArray
        public var hr: PixelArray
        public var candidates: [(String, PixelArray)]
        public var mask: [UInt8]?
    }

    public var maxValue: Double { dataset.card["dtype"]?.stringValue == "uint16" ? 65535 : 255 }
    public var methods: [String] {
        (restoration.map { ["degraded"] + $0.baselines.map(\.name) } ?? ["bicubic", "sharpen"]) + (model == nil ? [] : ["model"])
    }

    /// The split's arrays, opened once (each open parses the array's `zarr.json`).
    struct Arrays: Sendable {
        var hr: TileArrayReader
        var lr: TileArrayReader?
        var mask: TileArrayReader?
    }

    func arrays() throws -> Arrays {
        Arrays(hr: try dataset.array(split, "hr"), lr: restoration == nil ? try dataset.array(split, "lr_x\(scale)") : nil,
               mask: dataset.hasMasks ? try dataset.array(split, "mask") : nil)
    }

    /// The LR, HR, baseline images and mask of tile `index`.
    public func images(_ index: Int) throws -> TileImages {
        try images(index, arrays: arrays())
    }

    func images(_ index: Int, arrays a: Arrays) throws -> TileImages {
        let hr = try dataset.tilePixels(a.hr, index)
        // The first of the dataset's named masks ([M, T, T] planes, M ≥ 1).
        let mask = try a.mask.map { Array(try $0.tile(index).prefix($0.tileShape.dropFirst().reduce(1, *))) }
        if let restoration { return try restorationImages(index, hr: hr, mask: mask, restoration) }
        guard let lrArray = a.lr else { throw MetricsError("the dataset has no lr_x\(scale) array") }
        let lr = try dataset.tilePixels(lrArray, index)
        let bicubic = Resample.bicubic(lr, columns: hr.columns, rows: hr.rows)
        var sharpened = bicubic
        let spp = bicubic.samplesPerPixel, n = bicubic.rows * bicubic.columns
        let v = bicubic.samples.floats()
        var out = [Float](repeating: 0, count: v.count)
        for c in 0 ..< spp {
            let plane = (0 ..< n).map { v[$0 * spp + c] }
            let s = sharpen.apply(plane, rows: bicubic.rows, columns: bicubic.columns, maxValue: maxValue)
            for i in 0 ..< n { out[i * spp + c] = s[i] }
        }
        sharpened.samples = maxValue == 255
            ? .uint8(out.map { UInt8(min(max($0.rounded(), 0), 255)) })
            : .uint16(out.map { UInt16(min(max($0.rounded(), 0), 65535)) })
        var candidates = [("bicubic", bicubic), ("sharpen", sharpened)]
        if let model { candidates.append(("model", model.enhance(lr))) }
        return TileImages(lr: lr, hr: hr, candidates: candidates, mask: mask)
    }

    /// Restoration: the degraded tile (stored as the dataset's sample type, as a file would
    /// hold it), each filter baseline on it, and the model's output.
    func restorationImages(_ index: Int, hr: PixelArray, mask: [UInt8]?, _ r: RestorationSetup) throws -> TileImages {
        let c = hr.samplesPerPixel, side = hr.rows, n = side * side, top = Float(maxValue)
        precondition(hr.rows == hr.columns)
        let stored = hr.samples.floats()
        var planar = [Float](repeating: 0, count: stored.count)
        for ch in 0 ..< c { for i in 0 ..< n { planar[ch * n + i] = stored[i * c + ch] / top } }
        var mix = SplitMix64(seed: r.seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        let degraded = try r.degrade(planar, c, side, mix.next()).map { ($0 * top).rounded() / top }
        func pixels(_ planes: [Float]) -> PixelArray {
            var interleaved = [Float](repeating: 0, count: planes.count)
            for ch in 0 ..< c { for i in 0 ..< n { interleaved[i * c + ch] = min(max((planes[ch * n + i] * top).rounded(), 0), top) } }
            var p = hr
            p.samples = maxValue == 255 ? .uint8(interleaved.map { UInt8($0) }) : .uint16(interleaved.map { UInt16($0) })
            return p
        }
        let input = pixels(degraded)
        var candidates = [("degraded", input)]
        for b in r.baselines { candidates.append((b.name, pixels(b.apply(degraded, c, side)))) }
        if let model { candidates.append(("model", model.enhance(input))) }
        return TileImages(lr: input, hr: hr, candidates: candidates, mask: mask)
    }

    /// Scores every tile (in parallel, results in index order).
    public func run(progress: @Sendable () -> Void = {}) throws -> [TileResult] {
        if restoration == nil, !dataset.scales.contains(scale) {
            throw MetricsError("the dataset has LR scales \(dataset.scales.map(String.init).joined(separator: ", ")), not \(scale)")
        }
        if let model {
            let channels = dataset.card["channels"]?.intValue ?? 1
            let wanted = restoration == nil ? scale : 1
            guard model.scale == wanted, model.channels == channels, model.dataMax == maxValue else {
                throw MetricsError("the model is \(model.scale > 1 ? "×\(model.scale)" : "a restoration model") for \(model.channels) channel(s) of range \(Int(model.dataMax)); "
                    + "this evaluation needs \(wanted > 1 ? "×\(wanted)" : "a restoration model"), \(channels) channel(s), range \(Int(maxValue))")
            }
        }
        let rows = try dataset.manifest(split: split)
        let opened = try arrays()
        let count = min(opened.hr.count, limit ?? .max)
        let results = Mutex([TileResult?](repeating: nil, count: count))
        let failure = Mutex<(any Error)?>(nil)
        let next = Atomic<Int>(0)
        let evaluator = self
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
            while failure.withLock({ $0 == nil }) {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < count else { return }
                do {
                    let row = i < rows.count ? rows[i] : [:]
                    let r = try evaluator.score(i, row: row, arrays: opened)
                    results.withLock { $0[i] = r }
                    progress()
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { $0.compactMap { $0 } }
    }

    func score(_ index: Int, row: [String: String], arrays: Arrays) throws -> TileResult {
        let images = try images(index, arrays: arrays)
        let border = cropBorder ? scale : 0
        let reference = MetricPlanes.planes(images.hr, luminance: luminance, border: border)
        let maskPlane = images.mask.map { Plane(rows: images.hr.rows, columns: images.hr.columns, values: $0.map(Float.init)) }
        let mask = maskPlane.map { $0.cropped(border: border).values.map { $0 != 0 ? UInt8(1) : 0 } }
        let lo = Double(row["lo"] ?? "") ?? 0, hi = Double(row["hi"] ?? "") ?? maxValue
        let top = maxValue
        let toSource: (Double) -> Double = { lo + $0 / top * (hi - lo) }
        var result = TileResult(name: "\(split)/\(String(format: "%06d", index))", split: split, index: index,
                                label: row["label"] ?? "", methods: methods, scores: [:], referenceInMask: nil, inMask: [:],
                                maskFraction: Double(row["mask_fraction"] ?? "") ?? 0, source: row["source"] ?? "",
                                patient: row["patient"] ?? "")
        let hasMask = mask.map { $0.contains(1) } ?? false
        if hasMask, let mask { result.referenceInMask = Scoring.maskStatistics(reference[0], mask: mask, toSource: toSource) }
        for (name, pixels) in images.candidates {
            let planes = MetricPlanes.planes(pixels, luminance: luminance, border: border)
            result.scores[name] = try Scoring.score(reference: reference, candidate: planes, dataRange: maxValue,
                                                    mask: hasMask ? mask : nil, wholeWindows: wholeWindows)
            if hasMask, let mask { result.inMask[name] = Scoring.maskStatistics(planes[0], mask: mask, toSource: toSource) }
        }
        return result
    }
}
