public import Foundation
import MedDataset
public import MedIO
public import MedImage
public import MedNN

/// What values an enhanced PNG or TIFF holds.
public enum OutputValues: String, Sendable, CaseIterable {
    /// The input's own value space and sample type (the inverse of the dataset mapping).
    case source
    /// The model's values: the dataset's intensity mapping, in the model's bit depth.
    case mapped
}

/// One file through a trained SR or restoration model, as `medsr upscale` and `medsr restore`
/// (and the web workbench) run it: read any format MedSR reads, map intensities as the model's
/// dataset did, tiled inference, and write PNG, tiled TIFF or a derived, de-identified DICOM.
public struct EnhancementRequest: Sendable {
    public var input: URL
    public var output: URL
    public var frame = 0
    public var level = 0
    public var region: Region?
    /// Input tile side for inference (nil: from the model's receptive field).
    public var tile: Int?
    public var values = OutputValues.source
    /// DICOM output: the PS3.15 profile to apply (nil keeps the source's identifiers).
    public var deidentification: Deidentification?
    /// Refuse inputs whose pixels exceed this many bytes.
    public var maxBytes = 4096 << 20
    /// Written into the derived DICOM's descriptions (e.g. the model file's name).
    public var modelName: String

    public init(input: URL, output: URL, modelName: String) {
        self.input = input
        self.output = output
        self.modelName = modelName
    }

    /// The extensions an enhanced image can be written as.
    public static let outputExtensions = ["png", "tif", "tiff", "dcm"]
}

/// What `Enhancer.run` did, for the one line a command prints.
public struct EnhancementSummary: Sendable {
    public var inputColumns: Int, inputRows: Int, outputColumns: Int, outputRows: Int
    public var intensityMode: String
    public var window: (lo: Double, hi: Double)
    /// "modality units", "the input's values (uint8)" or "mapped values (8-bit)".
    public var written: String
    /// A colour input was read as grey (luma) for a one-channel model.
    public var colourDropped: Bool
}

/// A request that cannot be carried out: one line naming the file and the problem.
public struct EnhancementError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

public enum Enhancer {
    /// Runs `model` over `request.input` and writes `request.output` (atomically).
    public static func run(_ model: EnhancementModel, _ request: EnhancementRequest) throws -> EnhancementSummary {
        let input = request.input, url = request.output
        var options = ReadOptions()
        options.frames = .index(request.frame)
        options.level = request.level
        options.region = request.region
        options.forceGray = model.channels == 1
        options.maxBytes = request.maxBytes
        let image = try ImageFiles.read(input, options: options)
        // A grey model reads a colour input as luma (Pillow's L): said, not silent.
        let colourDropped = model.channels == 1 && ((try? ImageFiles.describe(input))?.samplesPerPixel ?? 1) >= 3
        let ext = url.pathExtension.lowercased()
        let dicomOutput = ext == "dcm"
        if dicomOutput && image.metadata.format != "DICOM" {
            throw EnhancementError(message: "\(input.path): DICOM output needs a DICOM input (the derived image keeps its study and geometry); write .png or .tif")
        }
        var pixels = image.pixels.frame(0)
        if pixels.samplesPerPixel != model.channels {
            pixels = model.channels == 3 && pixels.samplesPerPixel >= 3 ? pixels.keepingSamples(3) : pixels
        }
        guard pixels.samplesPerPixel == model.channels else {
            throw EnhancementError(message: "\(input.path): \(pixels.samplesPerPixel) channel(s), the model takes \(model.channels)")
        }
        var intensity = Recipe.Intensity(mode: .auto)
        if let json = model.metadata["dataset_intensity"], let spec = try? JSONDecoder().decode(Recipe.Intensity.self, from: Data(json.utf8)) {
            intensity = spec
        }
        let bits = model.dataMax > 255 ? 16 : 8
        let inSourceValues = request.values == .source && !dicomOutput
        let png = ext == "png"
        if inSourceValues && png && ![.uint8, .uint16].contains(pixels.sampleType) {
            // Integer values that all lie in 0…65535 (e.g. figshare's int16) fit a 16-bit PNG.
            let v = pixels.samples.floats()
            guard pixels.sampleType != .float32, (v.min() ?? 0) >= 0, (v.max() ?? 0) <= 65535 else {
                throw EnhancementError(message: "\(input.path): \(pixels.sampleType) values outside 0…65535 do not fit a PNG; write .tif (float32) or .dcm, or pass --values mapped")
            }
        }
        let mapped = IntensityMapper.map(pixels, rescale: image.metadata.rescale, intensity: intensity, bits: bits)
        let enhanced = model.enhance(mapped.pixels, tile: request.tile)
        var result = enhanced
        if inSourceValues {
            result = IntensityMapper.toSource(enhanced, lo: mapped.lo, hi: mapped.hi, bits: bits, source: pixels, rescale: image.metadata.rescale)
            if png && ![.uint8, .uint16].contains(result.sampleType) {
                result.samples = .uint16(result.samples.floats().map { UInt16(min(max($0, 0), 65535)) })
            } else if !png && ![.uint8, .uint16, .float32].contains(result.sampleType) {
                result.samples = .float32(result.samples.floats())
            }
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        switch ext {
        case "png": try PNGCodec.write(result, to: url)
        case "dcm":
            let what = model.scale > 1 ? "super-resolution x\(model.scale)" : "restoration" + (model.metadata["degradation"].map { " of \($0)" } ?? "")
            let description = "MedSR \(what) (\(model.architecture), \(request.modelName))"
            let (values, rescale) = IntensityMapper.unmap(enhanced, lo: mapped.lo, hi: mapped.hi, bits: bits)
            try DICOMWriter.writeDerived(values, source: input, to: url, scale: Double(model.scale), rescale: rescale,
                                         description: description, deidentification: request.deidentification)
        default: try TIFFCodec.writePyramid(result, to: url)
        }
        let written = dicomOutput ? "modality units" : inSourceValues ? "the input's values (\(result.sampleType))" : "mapped values (\(bits)-bit)"
        return EnhancementSummary(inputColumns: pixels.columns, inputRows: pixels.rows, outputColumns: enhanced.columns, outputRows: enhanced.rows,
                                  intensityMode: intensity.mode.rawValue, window: (mapped.lo, mapped.hi), written: written, colourDropped: colourDropped)
    }
}
