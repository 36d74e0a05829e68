public import Foundation
public import MedImage

/// Output file formats of `convert`.
public enum OutputFormat: String, Sendable, CaseIterable {
    case png, tiff, npy

    public var fileExtension: String { self == .tiff ? "tif" : rawValue }

    /// The format a file extension (or a --format value) names: png, tif/tiff, npy; nil otherwise.
    public init?(fileExtension ext: String) {
        switch ext.lowercased() {
        case "png": self = .png
        case "tif", "tiff": self = .tiff
        case "npy": self = .npy
        default: return nil
        }
    }

    /// The formats `convert` writes, for messages: ".png, .tif (or .tiff) and .npy".
    public static let writableDescription = ".png, .tif (or .tiff) and .npy"
    /// The values an output holds unless the user says otherwise.
    public var defaultValues: ValueMode { self == .npy ? .modality : .display }
}

/// Everything `convert` needs to know about one file.
public struct ConversionOptions: Sendable {
    public var read = ReadOptions()
    public var format: OutputFormat = .png
    public var values: ValueMode?
    public var window: WindowChoice = .auto
    /// Bits of display output (8 or 16).
    public var bits = 8
    /// Write this mask (0/1 in .npy, 0/255 in images) instead of the image.
    public var mask: String?
    public var tiffCompression: TIFFCodec.Compression = .deflate

    public init() {}
}

/// Converts one input file into one or more output files.
public enum Converter {
    /// Converts `input`, writing to `output` (a file path without or with extension). Frames
    /// that a format cannot stack go to `name_f0001.ext` siblings. Returns the files written.
    public static func convert(_ input: URL, to output: URL, options: ConversionOptions) throws -> [URL] {
        let image = try ImageFiles.read(input, options: options.read)
        let values = options.values ?? options.format.defaultValues
        var pixels: PixelArray
        if let name = options.mask {
            guard let mask = image.masks[name] else {
                let known = image.masks.keys.sorted()
                throw InputError(.notFound, path: input.path,
                                 "no mask named '\(name)'" + (known.isEmpty ? " (the file has none)" : " (it has \(known.joined(separator: ", ")))"))
            }
            // Readers crop masks to the region along with the pixels.
            let scale: UInt8 = options.format == .npy ? 1 : 255
            pixels = PixelArray(rows: mask.rows, columns: mask.columns, samples: .uint8(mask.values.map { $0 * scale }))
        } else {
            switch values {
            case .stored: pixels = image.pixels
            case .modality: pixels = IntensityMapping.modalityValues(image.pixels, metadata: image.metadata)
            case .display:
                pixels = IntensityMapping.displayValues(image.pixels, metadata: image.metadata, window: options.window,
                                                        bits: options.bits).pixels
            }
        }
        let base = output.pathExtension.isEmpty ? output : output.deletingPathExtension()
        try OutputLocation.makeFolders(base.deletingLastPathComponent().path)
        let keepFrameAxis = options.read.frames == .all && image.pixels.frames > 1
        if options.format == .npy {
            let url = base.appendingPathExtension("npy")
            try NPYFile.write(pixels, to: url, keepFrameAxis: keepFrameAxis)
            return [url]
        }
        var written = [URL]()
        for f in 0 ..< pixels.frames {
            let name = pixels.frames > 1 ? base.lastPathComponent + String(format: "_f%04d", f) : base.lastPathComponent
            let url = base.deletingLastPathComponent().appendingPathComponent(name).appendingPathExtension(options.format.fileExtension)
            let frame = pixels.frames > 1 ? pixels.frame(f) : pixels
            if options.format == .png {
                try PNGCodec.write(frame, to: url)
            } else {
                try TIFFCodec.writePyramid(frame, to: url, compression: options.tiffCompression)
            }
            written.append(url)
        }
        return written
    }
}
