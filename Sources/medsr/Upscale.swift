import ArgumentParser
import Foundation
import MedDataset
import MedIO
import MedImage
import MedNN

struct Upscale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upscale an image with a trained model (any format MedSR reads), tile by tile.",
        discussion: """
        The input goes through the intensity mapping of the dataset the model was trained on \
        (kept in the model file), is cut into tiles with a margin wider than the network's \
        receptive field (so the result equals whole-image inference, without seams), and is \
        written as PNG or tiled TIFF, or as DICOM.

        PNG and TIFF values are in the input's own value space (--values source, the default): \
        the model's output goes back through the inverse of the dataset's intensity mapping and \
        is clipped to the input's sample type, so an 8-bit PNG gives an 8-bit PNG in the same \
        grey levels and `medsr evaluate --pred/--ref` against originals is meaningful. Where the \
        input has values outside the model's window, the part beyond the window comes from \
        bicubic interpolation. PNG holds 8- and 16-bit unsigned values (integer inputs within \
        0…65535, such as figshare's int16, become 16-bit PNGs); for negative, fractional or larger \
        values (CT in HU, float NIfTI) write .tif (float32) or .dcm. --values mapped writes \
        the model's own values instead (the dataset's mapping, in the model's bit depth).

        DICOM output (.dcm) needs a DICOM input: the result is a derived image of it (ImageType \
        DERIVED\\SECONDARY, the model named in DerivationDescription and SeriesDescription, new SOP \
        Instance and Series UIDs, pixel spacing divided by the scale), with values mapped back \
        through the intensity window into the source's modality units (e.g. HU; values outside \
        the model's window are clipped to it), stored as 16-bit integers with RescaleSlope 1 / \
        RescaleIntercept 0, or with a slope and intercept spanning the window when the values do \
        not fit 16 bits (32-bit sources such as RT dose). Patient \
        and institution identifiers and private elements are removed and the Study UID replaced \
        unless --keep-identifiers is given (then the source is also referenced).

        Examples:
          medsr upscale --model runs/espcn-x4/model.safetensors slice.png slice_x4.png
          medsr upscale --model runs/espcn-x4 scan.dcm scan_x4.png --frame 0
          medsr upscale --model runs/espcn-x4 slide.tif region_x4.tif --level 1 --region 0,0,512,512
          medsr upscale --model runs/srresnet-x2 ct_slice.dcm ct_slice_x2.dcm
        """
    )

    @Option(help: "model.safetensors from medsr train (or its run folder).") var model: String
    @Argument(help: "Input image.") var input: String
    @Argument(help: "Output file (.png, .tif or .dcm).") var output: String
    @Option(help: "Frame of a multi-frame image.") var frame = 0
    @Option(help: "Pyramid level of a slide.") var level = 0
    @Option(help: "Region x,y,width,height of the input.") var region: String?
    @Option(help: "LR tile side for inference (default: from the model's receptive field).") var tile: Int?
    @Flag(name: .customLong("keep-identifiers"), help: "DICOM output: keep the source's patient and institution identifiers.")
    var keepIdentifiers = false
    @Option(help: "PNG/TIFF values: source (the input's own values and sample type) or mapped (the model's dataset mapping).")
    var values: UpscaleValues = .source
    @Option(name: .customLong("max-mb"), help: "Refuse inputs whose pixels exceed this many MiB.") var maxMB = 4096

    func validate() throws {
        if let region, Region(argument: region) == nil { throw ValidationError("--region takes x,y,width,height") }
        if let tile, tile < 16 { throw ValidationError("--tile must be at least 16") }
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        if !["png", "tif", "tiff", "dcm"].contains(ext) { throw ValidationError("the output must end in .png, .tif or .dcm") }
    }

    func run() throws {
        let m = try withCleanError { try SRModel(path: model) }
        var options = ReadOptions()
        options.frames = .index(frame)
        options.level = level
        options.region = region.flatMap(Region.init(argument:))
        options.forceGray = m.channels == 1
        options.maxBytes = maxMB << 20
        let image = try withCleanError { try ImageFiles.read(URL(fileURLWithPath: input), options: options) }
        let dicomOutput = URL(fileURLWithPath: output).pathExtension.lowercased() == "dcm"
        if dicomOutput && image.metadata.format != "DICOM" {
            report("medsr: \(input): DICOM output needs a DICOM input (the derived image keeps its study and geometry); write .png or .tif")
            throw ExitCode(1)
        }
        var pixels = image.pixels.frame(0)
        if pixels.samplesPerPixel != m.channels {
            pixels = m.channels == 3 && pixels.samplesPerPixel >= 3 ? pixels.keepingSamples(3) : pixels
        }
        guard pixels.samplesPerPixel == m.channels else {
            report("medsr: \(input): \(pixels.samplesPerPixel) channel(s), the model takes \(m.channels)")
            throw ExitCode(1)
        }
        var intensity = Recipe.Intensity(mode: .auto)
        if let json = m.metadata["dataset_intensity"], let spec = try? JSONDecoder().decode(Recipe.Intensity.self, from: Data(json.utf8)) {
            intensity = spec
        }
        let bits = m.dataMax > 255 ? 16 : 8
        let url = URL(fileURLWithPath: output)
        let inSourceValues = values == .source && !dicomOutput
        let png = url.pathExtension.lowercased() == "png"
        if inSourceValues && png && ![.uint8, .uint16].contains(pixels.sampleType) {
            // Integer values that all lie in 0…65535 (e.g. figshare's int16) fit a 16-bit PNG.
            let v = pixels.samples.floats()
            guard pixels.sampleType != .float32, (v.min() ?? 0) >= 0, (v.max() ?? 0) <= 65535 else {
                report("medsr: \(input): \(pixels.sampleType) values outside 0…65535 do not fit a PNG; write .tif (float32) or .dcm, or pass --values mapped")
                throw ExitCode(1)
            }
        }
        let mapped = IntensityMapper.map(pixels, rescale: image.metadata.rescale, intensity: intensity, bits: bits)
        let up = m.upscale(mapped.pixels, tile: tile)
        var result = up
        if inSourceValues {
            result = IntensityMapper.toSource(up, lo: mapped.lo, hi: mapped.hi, bits: bits, source: pixels, rescale: image.metadata.rescale)
            if png && ![.uint8, .uint16].contains(result.sampleType) {
                result.samples = .uint16(result.samples.floats().map { UInt16(min(max($0, 0), 65535)) })
            } else if !png && ![.uint8, .uint16, .float32].contains(result.sampleType) {
                result.samples = .float32(result.samples.floats())
            }
        }
        try withCleanError {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            switch url.pathExtension.lowercased() {
            case "png": try PNGCodec.write(result, to: url)
            case "dcm":
                let description = "MedSR super-resolution x\(m.scale) (\(m.architecture), \(URL(fileURLWithPath: model).lastPathComponent))"
                let (values, rescale) = IntensityMapper.unmap(up, lo: mapped.lo, hi: mapped.hi, bits: bits)
                try DICOMWriter.writeDerived(values, source: URL(fileURLWithPath: input), to: url, scale: Double(m.scale), rescale: rescale,
                                             description: description, keepIdentifiers: keepIdentifiers)
            default: try TIFFCodec.writePyramid(result, to: url)
            }
        }
        let written = dicomOutput ? "modality units" : inSourceValues ? "the input's values (\(result.sampleType))" : "mapped values (\(bits)-bit)"
        print("\(output): \(up.columns)×\(up.rows) (×\(m.scale) of \(pixels.columns)×\(pixels.rows)); intensity \(intensity.mode.rawValue) window \(String(format: "%.6g…%.6g", mapped.lo, mapped.hi)); written in \(written)")
    }
}

/// What values `upscale` writes into PNG and TIFF outputs.
enum UpscaleValues: String, ExpressibleByArgument, CaseIterable {
    /// The input's own value space and sample type (the inverse of the dataset mapping).
    case source
    /// The model's values: the dataset's intensity mapping, in the model's bit depth.
    case mapped
}
