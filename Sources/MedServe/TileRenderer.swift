import Foundation
import MedDataset
import MedEvaluation
import MedImage
import MedIO
import MedMetrics
import MedNN
import Synchronization
import Zarr

/// One tile of a dataset as the viewer asks for it: which image (`kind`), at which LR scale,
/// with which model, windowed to 8 bits and enlarged by an integer zoom (nearest neighbour).
struct TileRequest: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case hr, lr, bicubic, sharpened, model, mask, diff, ssim
    }

    var dataset: String
    var split: String
    var index: Int
    var kind: Kind
    var scale: Int
    /// Run id for `model`, and for `diff`/`ssim` when `of` is `model`.
    var model: String?
    /// The method a `diff` or `ssim` map is of: bicubic, sharpened or model.
    var of: String = "bicubic"
    /// Mask number (0-based) for `mask`.
    var maskIndex = 0
    /// Display window in the tile's values (nil: the full range of the sample type).
    var window: Window?
    var zoom = 1
    /// `diff`: |x − HR| × gain.
    var gain = 4.0
}

/// Tiles, baselines, model outputs and metrics of dataset tiles, through `DatasetEvaluator`
/// (the same images `medsr evaluate` scores). Recent results are kept in a small cache.
final class TileRenderer: Sendable {
    struct ImagesKey: Hashable, Sendable {
        var dataset: String, split: String, index: Int, scale: Int, model: String?
    }

    private let images = Mutex<(order: [ImagesKey], values: [ImagesKey: DatasetEvaluator.TileImages])>(([], [:]))
    private let datasets = Mutex<[String: Dataset]>([:])
    static let cacheSize = 48

    /// An opened dataset (kept: opening parses the card).
    func dataset(_ url: URL, id: String) throws -> Dataset {
        if let d = datasets.withLock({ $0[id] }) { return d }
        let d = try Dataset(root: url)
        datasets.withLock { if $0.count > 64 { $0.removeAll() }; $0[id] = d }
        return d
    }

    /// The number of tiles in `split` (0 when the split has none).
    static func count(_ dataset: Dataset, split: String) -> Int {
        (try? dataset.array(split, "hr").count) ?? 0
    }

    func tileImages(_ dataset: Dataset, key: ImagesKey, model: EnhancementModel?) throws -> DatasetEvaluator.TileImages {
        if let hit = images.withLock({ $0.values[key] }) { return hit }
        var evaluator = DatasetEvaluator(dataset: dataset, split: key.split, scale: key.scale)
        evaluator.model = model
        let result = try evaluator.images(key.index)
        images.withLock {
            if $0.values[key] == nil { $0.order.append(key) }
            $0.values[key] = result
            while $0.order.count > Self.cacheSize { $0.values[$0.order.removeFirst()] = nil }
        }
        return result
    }

    /// The pixels of one request (not yet windowed), and the value range of its sample type.
    func pixels(_ r: TileRequest, dataset: Dataset, model: EnhancementModel?) throws -> (PixelArray, Double) {
        let top: Double = dataset.card["dtype"]?.stringValue == "uint16" ? 65535 : 255
        switch r.kind {
        case .hr: return (try dataset.tilePixels(try dataset.array(r.split, "hr"), r.index), top)
        case .lr: return (try dataset.tilePixels(try dataset.array(r.split, "lr_x\(r.scale)"), r.index), top)
        case .mask:
            let reader = try dataset.array(r.split, "mask")
            let planes = reader.tileShape[0], side = reader.tileShape[1] * reader.tileShape[2]
            guard r.maskIndex >= 0 && r.maskIndex < planes else { throw ServeError.notFound("mask \(r.maskIndex)") }
            let plane = Array(try reader.tile(r.index)[(r.maskIndex * side) ..< ((r.maskIndex + 1) * side)])
            return (PixelArray(rows: reader.tileShape[1], columns: reader.tileShape[2], samples: .uint8(plane.map { $0 != 0 ? 255 : 0 })), 255)
        default: break
        }
        let key = ImagesKey(dataset: r.dataset, split: r.split, index: r.index, scale: r.scale, model: model == nil ? nil : r.model)
        let t = try tileImages(dataset, key: key, model: model)
        func candidate(_ name: String) throws -> PixelArray {
            let wanted = name == "sharpened" ? "sharpen" : name
            guard let c = t.candidates.first(where: { $0.0 == wanted }) else { throw ServeError.notFound("method \(name)") }
            return c.1
        }
        switch r.kind {
        case .bicubic: return (try candidate("bicubic"), top)
        case .sharpened: return (try candidate("sharpened"), top)
        case .model: return (try candidate("model"), top)
        case .diff:
            let x = try candidate(r.of).samples.floats(), y = t.hr.samples.floats()
            let gain = Float(r.gain)
            let d = zip(x, y).map { UInt8(min(abs($0 - $1) * gain * Float(255 / top), 255).rounded()) }
            var out = PixelArray(rows: t.hr.rows, columns: t.hr.columns, samplesPerPixel: t.hr.samplesPerPixel, samples: .uint8(d))
            if out.samplesPerPixel > 3 { out = out.keepingSamples(3) }
            return (out, 255)
        case .ssim:
            let reference = MetricPlanes.planes(t.hr, luminance: true)
            let planes = MetricPlanes.planes(try candidate(r.of), luminance: true)
            let map = try SSIM(dataRange: top).compute(reference[0], planes[0], map: true).map
            let values = (map?.values ?? []).map { UInt8(min(max($0, 0), 1) * 255) }
            return (PixelArray(rows: t.hr.rows, columns: t.hr.columns, samples: .uint8(values)), 255)
        default: throw ServeError.notFound("tile kind")
        }
    }

    /// A PNG of one request: windowed to 8 bits (grey) and zoomed.
    func png(_ r: TileRequest, dataset: Dataset, model: EnhancementModel?) throws -> [UInt8] {
        let (pixels, top) = try pixels(r, dataset: dataset, model: model)
        return try Self.encode(pixels, top: top, window: r.window, zoom: r.zoom)
    }

    /// 8-bit PNG bytes of `pixels` (window in their values; nil: 0…top), enlarged `zoom` times.
    static func encode(_ pixels: PixelArray, top: Double, window: Window?, zoom: Int) throws -> [UInt8] {
        var display = pixels
        if pixels.sampleType != .uint8 || window != nil {
            var metadata = ImageMetadata()
            metadata.format = "MedSR"
            let w = window ?? Window(center: top / 2, width: top)
            display = IntensityMapping.displayValues(pixels, metadata: metadata, window: .explicit(w), bits: 8).pixels
        }
        if zoom > 1 {
            display = Resample.nearest(display, columns: display.columns * zoom, rows: display.rows * zoom)
        }
        return try PNGCodec.encode(display, compressionLevel: 1)
    }
}
