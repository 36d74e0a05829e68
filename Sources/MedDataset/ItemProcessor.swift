import Foundation
import MedIO
public import MedImage
import Zarr

/// What one source item became: its tiles, or why it was skipped. Holds the patient only
/// as a pseudonym and a split key.
struct ItemResult {
    var path: String
    var error: String?
    var patient: String?
    var splitKey: UInt64?
    var official: String?
    var fold: Int?
    var label: String?
    var slice: Int?
    var columns: [String] = []
    var images = 0
    var tiles: [TileOutput] = []
}

/// Reads one source item, maps its intensities and cuts it into tiles.
struct ItemProcessor: Sendable {
    let recipe: Recipe
    let input: URL
    let pseudonyms: Pseudonymizer
    let tiler: Tiler
    let maxBytes: Int

    func process(_ item: SourceItem, compressor: Zstd.Compressor) -> ItemResult {
        var result = ItemResult(path: item.path, official: item.official, fold: item.fold, label: item.label, slice: item.slice,
                                columns: item.columns)
        let url = input.appendingPathComponent(item.path)
        do {
            var patient = item.patient
            switch recipe.source {
            case .slides:
                result.tiles = try slideTiles(url, compressor: compressor)
                result.images = 1
                patient = patient ?? url.deletingPathExtension().lastPathComponent
            default:
                let images = try load(item, url)
                for image in images {
                    patient = patient ?? image.patient
                    if result.label == nil { result.label = image.label }
                    result.tiles += tiles(of: image, compressor: compressor)
                }
                result.images = images.count
            }
            // An item without a patient id is its own patient (and said so in the report).
            let id = patient.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown:" + item.path
            result.patient = (patient == nil ? "unknown-" : "") + pseudonyms.pseudonym(id)
            result.splitKey = pseudonyms.splitKey(id)
        } catch {
            result.error = Self.oneLine(error, path: item.path, root: input)
            result.tiles = []
        }
        return result
    }

    /// An error as one line, with the path relative to the input (no absolute paths stored).
    static func oneLine(_ error: any Error, path: String, root: URL) -> String {
        var text = String(describing: error)
        text = text.replacingOccurrences(of: root.appendingPathComponent(path).path + ": ", with: "")
        text = text.replacingOccurrences(of: root.path + "/", with: "")
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    func load(_ item: SourceItem, _ url: URL) throws -> [SourceImage] {
        switch recipe.source {
        case .figshare:
            let record = try MATReader.figshareRecord(path: url.path, maxBytes: maxBytes)
            return [SourceImage(pixels: record.image, masks: recipe.masks.contains("tumorMask") ? [record.tumorMask].compactMap { $0 } : [],
                                patient: record.patient?.id,
                                label: record.label.map { FigshareRecord.labelNames[$0] ?? String($0) })]
        case .nih:
            var options = ReadOptions()
            options.forceGray = recipe.channels == 1
            options.maxBytes = maxBytes
            let image = try PNGCodec.read(path: url.path, options: options)
            var mask: Mask?
            if recipe.masks.contains("boxes") && !item.boxes.isEmpty {
                mask = Self.boxMask(item.boxes, rows: image.pixels.rows, columns: image.pixels.columns)
            }
            return [SourceImage(pixels: image.pixels, masks: mask.map { [$0] } ?? [])]
        case .dicom:
            var options = ReadOptions()
            options.maxBytes = maxBytes
            let image = try DICOMReader.read(path: url.path, options: options)
            // Masks come from the segmentations drawn on this slice (the listing matched them).
            var segMask: Mask?
            if recipe.masks.contains("seg") && !item.segmentation.isEmpty {
                var values = [UInt8](repeating: 0, count: image.pixels.rows * image.pixels.columns)
                for (path, frames) in Dictionary(grouping: item.segmentation, by: \.path).sorted(by: { $0.key < $1.key }) {
                    let m = try DICOMSegmentation.mask(path: input.appendingPathComponent(path).path,
                                                       frames: frames.map(\.frame), maxBytes: maxBytes)
                    guard m.rows == image.pixels.rows, m.columns == image.pixels.columns else {
                        throw DICOMError(.corrupt, path: url.path, "its segmentation \(path) is \(m.columns)×\(m.rows), the image \(image.pixels.columns)×\(image.pixels.rows)")
                    }
                    for i in values.indices where m.values[i] != 0 { values[i] = 1 }
                }
                segMask = Mask(rows: image.pixels.rows, columns: image.pixels.columns, values: values)
            }
            return (0 ..< image.pixels.frames).map { f in
                SourceImage(pixels: image.pixels.frame(f), rescale: image.metadata.frameRescales?[f] ?? image.metadata.rescale,
                            modality: image.metadata.modality, rescaleType: image.metadata.rescaleType, masks: segMask.map { [$0] } ?? [],
                            patient: image.patient?.id, label: image.metadata.modality,
                            frame: image.pixels.frames > 1 ? f : nil)
            }
        case .images:
            var options = ReadOptions()
            options.forceGray = recipe.channels == 1
            options.maxBytes = maxBytes
            if try ImageFormat.detect(url) == .nifti {
                // A volume is an item of slices (across k, of its first volume), as a multi-frame
                // DICOM is in a DICOM folder: one image per slice, its index in the frame column.
                let volume = try ImageFiles.read(url, options: options)
                return (0 ..< volume.pixels.frames).map { k in
                    SourceImage(pixels: volume.pixels.frame(k), rescale: volume.metadata.rescale, frame: k)
                }
            }
            options.frames = .index(0)
            let image = try ImageFiles.read(url, options: options)
            return [SourceImage(pixels: image.pixels.frame(0), rescale: image.metadata.rescale,
                                modality: image.metadata.modality, rescaleType: image.metadata.rescaleType,
                                masks: image.masks.sorted { $0.key < $1.key }.prefix(1).map(\.value),
                                label: image.metadata.modality)]
        case .sunnybrook:
            return [try sunnybrookImage(item, url)]
        case .colondb, .clinicdb:
            return [try cvcImage(item, url)]
        case .nifti:
            return try niftiSlices(item, url)
        case .kermany:
            var options = ReadOptions()
            options.forceGray = recipe.channels == 1
            options.maxBytes = maxBytes
            options.frames = .index(0)
            let image = try ImageFiles.read(url, options: options)
            return [SourceImage(pixels: image.pixels.frame(0), rescale: image.metadata.rescale, label: item.label)]
        case .slides:
            preconditionFailure("slides are read region by region")
        }
    }

    /// NIH boxes (x, y, w, h in 1024-pixel space, top-left origin) as a mask of this image's size.
    static func boxMask(_ boxes: [[Double]], rows: Int, columns: Int) -> Mask {
        var values = [UInt8](repeating: 0, count: rows * columns)
        let sx = Double(columns) / 1024, sy = Double(rows) / 1024
        for b in boxes where b.count == 4 {
            // Pixel (c, r) is inside when its centre lies in the box.
            let c0 = max(Int((b[0] * sx - 0.5).rounded(.up)), 0), c1 = min(Int(((b[0] + b[2]) * sx - 0.5).rounded(.up)), columns)
            let r0 = max(Int((b[1] * sy - 0.5).rounded(.up)), 0), r1 = min(Int(((b[1] + b[3]) * sy - 0.5).rounded(.up)), rows)
            guard c0 < c1, r0 < r1 else { continue }
            for r in r0 ..< r1 { for c in c0 ..< c1 { values[r * columns + c] = 1 } }
        }
        return Mask(rows: rows, columns: columns, values: values)
    }

    /// Brings an image to the recipe's channel count: colour → luma, gray → three equal planes.
    func fitChannels(_ p: PixelArray) -> PixelArray {
        if p.samplesPerPixel == recipe.channels { return p }
        if recipe.channels == 1 { return ColorConversion.luma(p.keepingSamples(min(p.samplesPerPixel, 3))) }
        if p.samplesPerPixel >= 3 { return p.keepingSamples(3) }
        let order = (0 ..< p.rows * p.columns).flatMap { [$0, $0, $0] }
        return PixelArray(rows: p.rows, columns: p.columns, samplesPerPixel: 3, samples: p.samples.gathered(order))
    }

    /// Maps intensities, then tiles.
    func tiles(of image: SourceImage, compressor: Zstd.Compressor) -> [TileOutput] {
        let intensity = recipe.intensity.resolved(modality: image.modality, rescaleType: image.rescaleType)
        var mapped: PixelArray, window: IntensityWindow
        if let w = image.window {
            // A window chosen for the whole volume.
            let p = fitChannels(image.pixels)
            let values = IntensityMapping.modalityValues(p, rescale: image.rescale).samples.floats()
            mapped = PixelArray(rows: p.rows, columns: p.columns, samplesPerPixel: p.samplesPerPixel,
                                samples: w.apply(values, bits: recipe.bits))
            window = w
        } else {
            (mapped, window) = map(fitChannels(image.pixels), rescale: image.rescale, intensity: intensity)
        }
        if !image.context.isEmpty {
            // The neighbours go through the centre image's window, so the channels compare.
            let planes = image.context.map { p in
                IntensityMapping.modalityValues(p, rescale: image.rescale).samples.floats()
            }.map { IntensityWindow(lo: window.lo, hi: window.hi).apply($0, bits: recipe.bits) }
            mapped = Self.interleave(planes, rows: mapped.rows, columns: mapped.columns)
        }
        var masks = image.masks
        if let side = recipe.resize, mapped.rows != side || mapped.columns != side {
            // Whole images to side × side: Pillow's bicubic on the mapped values, masks by nearest.
            mapped = Resample.bicubic(mapped, columns: side, rows: side)
            masks = masks.map { Self.nearest($0, side: side) }
        }
        return tiler.tiles(mapped, masks: masks, window: window, frame: image.frame, level: image.level,
                           compressor: compressor)
    }

    /// A mask resized to side × side by nearest neighbour, pixel centres mapped (Pillow's NEAREST).
    static func nearest(_ m: Mask, side: Int) -> Mask {
        var values = [UInt8](repeating: 0, count: side * side)
        for y in 0 ..< side {
            let sy = min(Int((Double(y) + 0.5) * Double(m.rows) / Double(side)), m.rows - 1)
            for x in 0 ..< side {
                let sx = min(Int((Double(x) + 0.5) * Double(m.columns) / Double(side)), m.columns - 1)
                values[y * side + x] = m.values[sy * m.columns + sx]
            }
        }
        return Mask(rows: side, columns: side, values: values)
    }

    /// Planes of one size as the channels of one interleaved image.
    static func interleave(_ planes: [Samples], rows: Int, columns: Int) -> PixelArray {
        let n = rows * columns, c = planes.count
        var order = [Int](repeating: 0, count: n * c)
        for i in 0 ..< n { for k in 0 ..< c { order[i * c + k] = k * n + i } }
        var bytes = [UInt8](), words = [UInt16]()
        for plane in planes {
            switch plane {
            case .uint8(let a): bytes += a
            case .uint16(let a): words += a
            default: preconditionFailure("planes are mapped to uint8 or uint16 first")
            }
        }
        let all: Samples = words.isEmpty ? .uint8(bytes) : .uint16(words)
        return PixelArray(rows: rows, columns: columns, samplesPerPixel: c, samples: all.gathered(order))
    }

    func map(_ pixels: PixelArray, rescale: Rescale, intensity: Recipe.Intensity) -> (PixelArray, IntensityWindow) {
        let m = IntensityMapper.map(pixels, rescale: rescale, intensity: intensity, bits: recipe.bits)
        return (m.pixels, IntensityWindow(lo: m.lo, hi: m.hi))
    }
}

/// The dataset's intensity mapping as a public function, so inference (`medsr upscale`) maps
/// new images exactly as the training tiles were mapped.
public enum IntensityMapper {
    /// Maps one frame to `bits`-bit values; returns them and the (lo, hi) source window.
    public static func map(_ pixels: PixelArray, rescale: Rescale, intensity: Recipe.Intensity,
                           bits: Int) -> (pixels: PixelArray, lo: Double, hi: Double) {
        let type = pixels.sampleType
        let native = rescale.isIdentity && ((type == .uint8 && bits == 8) || (type == .uint16 && bits == 16))
        if native && (intensity.mode == .identity || intensity.mode == .auto) {
            return (pixels, 0, bits == 8 ? 255 : 65535)
        }
        var spec = intensity
        if spec.mode == .auto { spec.mode = .percentile }
        let values = IntensityMapping.modalityValues(pixels, rescale: rescale).samples.floats()
        let window = IntensityWindow.choose(spec, values: values, type: rescale.isIdentity ? type : .float32)
        return (PixelArray(rows: pixels.rows, columns: pixels.columns, samplesPerPixel: pixels.samplesPerPixel,
                           samples: window.apply(values, bits: bits)), window.lo, window.hi)
    }

    /// The inverse of `map` for one frame: `bits`-bit values back through the (lo, hi) window into
    /// modality units, stored as 16-bit integers: as they are when they fit uint16 or int16
    /// (rescale identity), else (32-bit sources such as RT dose) as uint16 with a slope and
    /// intercept that span the window. 8-bit RGB stays as it is.
    public static func unmap(_ p: PixelArray, lo: Double, hi: Double, bits: Int) -> (PixelArray, Rescale) {
        if p.samplesPerPixel == 3 { return (p, .identity) }
        let top = Double(bits == 8 ? 255 : 65535)
        let values = p.samples.floats().map { lo + Double($0) / top * (hi - lo) }
        let smallest = min(lo, hi), largest = max(lo, hi)
        func pixels(_ samples: Samples) -> PixelArray { PixelArray(rows: p.rows, columns: p.columns, samplesPerPixel: 1, samples: samples) }
        if smallest >= 0 && largest.rounded() <= 65535 {
            return (pixels(.uint16(values.map { UInt16(min(max($0.rounded(), 0), 65535)) })), .identity)
        }
        if smallest.rounded() >= -32768 && largest.rounded() <= 32767 {
            return (pixels(.int16(values.map { Int16(min(max($0.rounded(), -32768), 32767)) })), .identity)
        }
        let slope = max(largest - smallest, 1e-12) / 65535
        let stored = values.map { UInt16(min(max((($0 - smallest) / slope).rounded(), 0), 65535)) }
        return (pixels(.uint16(stored)), Rescale(slope: slope, intercept: smallest))
    }
}
