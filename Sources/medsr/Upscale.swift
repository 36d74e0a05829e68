public import ArgumentParser
import Foundation
import MedDataset
public import MedIO
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
        not fit 16 bits (32-bit sources such as RT dose). The source is referenced in Source \
        Image Sequence.

        DICOM output is de-identified by the DICOM PS3.15 Basic Application Level \
        Confidentiality Profile (Annex E, Table E.1-1): names, IDs, dates, times, descriptions, \
        comments, addresses, institution and device identity, private elements and the like are \
        removed or emptied; instance UIDs are replaced consistently (2.25. and a keyed hash: the \
        same --key-file gives the same replacements in every run, without it a random key is \
        drawn per run). --deid-option relaxes it by the profile's options (recorded in \
        DeidentificationMethodCodeSequence); --keep-identifiers keeps everything.

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
    @Option(parsing: .unconditional, help: "Frame of a multi-frame image.") var frame = 0
    @Option(parsing: .unconditional, help: "Pyramid level of a slide.") var level = 0
    @Option(parsing: .unconditional, help: "Region x,y,width,height of the input.") var region: String?
    @Option(parsing: .unconditional, help: "LR tile side for inference (default: from the model's receptive field).") var tile: Int?
    @Flag(name: .customLong("keep-identifiers"), help: "DICOM output: keep the source's identifiers (no de-identification).")
    var keepIdentifiers = false
    @Option(name: .customLong("deid-option"),
            help: "DICOM output: an option of the PS3.15 profile (repeatable): modified-dates shifts dates by a per-patient number of days, full-dates keeps them, patient-characteristics keeps sex, age, size, weight…, clean-descriptors keeps descriptions and comments without identifying values, device-identity, institution-identity, uids keep those.")
    var deidOptions: [ConfidentialityProfile.Option] = []
    @Option(name: .customLong("key-file"), help: "DICOM output: secret key (16 bytes or more) for replacement UIDs and date shifts.")
    var keyFile: String?
    @Option(help: "PNG/TIFF values: source (the input's own values and sample type) or mapped (the model's dataset mapping).")
    var values: UpscaleValues = .source
    @Option(name: .customLong("max-mb"), parsing: .unconditional, help: "Refuse inputs whose pixels exceed this many MiB.") var maxMB = 4096

    func validate() throws {
        if let region, Region(argument: region) == nil { throw ValidationError("--region takes x,y,width,height") }
        if let tile, tile < 16 { throw ValidationError("--tile must be at least 16") }
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        if !["png", "tif", "tiff", "dcm"].contains(ext) {
            throw ValidationError("\(output): " + (ext.isEmpty ? "give the output an extension" : "MedSR cannot write .\(ext) files")
                + "; upscale writes .png, .tif (or .tiff) and .dcm")
        }
        if ext != "dcm" && (!deidOptions.isEmpty || keyFile != nil || keepIdentifiers) {
            throw ValidationError("--deid-option, --key-file and --keep-identifiers apply to DICOM output (.dcm)")
        }
        if keepIdentifiers && (!deidOptions.isEmpty || keyFile != nil) {
            throw ValidationError("--keep-identifiers keeps everything: give it without --deid-option and --key-file")
        }
        if deidOptions.contains(.retainLongitudinalFullDates) && deidOptions.contains(.retainLongitudinalModifiedDates) {
            throw ValidationError("--deid-option full-dates and modified-dates exclude each other")
        }
    }

    func run() throws {
        // Before loading and inferring: a read-only or full output disk fails now, in one line.
        try prepareOutputs([output])
        let m = try withCleanError { try EnhancementModel(path: model) }
        var options = ReadOptions()
        options.frames = .index(frame)
        options.level = level
        options.region = region.flatMap(Region.init(argument:))
        options.forceGray = m.channels == 1
        options.maxBytes = maxMB << 20
        let image = try withCleanError { try ImageFiles.read(URL(fileURLWithPath: input), options: options) }
        // A grey model reads a colour input as luma (Pillow's L): said, not silent.
        let colourDropped = m.channels == 1 && ((try? ImageFiles.describe(URL(fileURLWithPath: input)))?.samplesPerPixel ?? 1) >= 3
        let dicomOutput = URL(fileURLWithPath: output).pathExtension.lowercased() == "dcm"
        var deidentification: Deidentification?
        if dicomOutput && !keepIdentifiers {
            var key: [UInt8]?
            if let keyFile {
                // One reader of key files for pseudonyms and de-identification (reads pipes too).
                do { key = try Pseudonymizer.readKey(URL(fileURLWithPath: keyFile)) } catch { report("medsr: \(oneLine(error))"); throw ExitCode(2) }
            }
            deidentification = Deidentification(options: Set(deidOptions), key: key)
        }
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
        let up = m.enhance(mapped.pixels, tile: tile)
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
                                             description: description, deidentification: deidentification)
            default: try TIFFCodec.writePyramid(result, to: url)
            }
        }
        let written = dicomOutput ? "modality units" : inSourceValues ? "the input's values (\(result.sampleType))" : "mapped values (\(bits)-bit)"
        print("\(output): \(up.columns)×\(up.rows) (×\(m.scale) of \(pixels.columns)×\(pixels.rows)); intensity \(intensity.mode.rawValue) window \(String(format: "%.6g…%.6g", mapped.lo, mapped.hi)); written in \(written)"
            + (colourDropped ? "; the colour input was read as grey (luma), the model takes 1 channel" : ""))
    }
}

extension ConfidentialityProfile.Option: ExpressibleByArgument {
    public init?(argument: String) {
        guard let option = Self(rawValue: argument), Self.implemented.contains(option) else { return nil }
        self = option
    }

    public static var allValueStrings: [String] { implemented.map(\.rawValue) }
}

/// What values `upscale` writes into PNG and TIFF outputs.
enum UpscaleValues: String, ExpressibleByArgument, CaseIterable {
    /// The input's own value space and sample type (the inverse of the dataset mapping).
    case source
    /// The model's values: the dataset's intensity mapping, in the model's bit depth.
    case mapped
}
