public import ArgumentParser
import Foundation
import MedDataset
public import MedIO
import MedImage
public import MedInference
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

    @OptionGroup var options: EnhanceOptions

    func validate() throws { try options.check(command: "upscale") }

    func run() throws { try options.run(task: .superResolution) }
}

/// `medsr restore`: the same workflow as `upscale` for a same-size restoration model.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore an image (deblur, denoise) with a trained restoration model (any format MedSR reads), tile by tile.",
        discussion: """
        The same workflow as `medsr upscale`, at the same size: the input goes through the \
        intensity mapping of the model's dataset, is cut into tiles with a margin wider than the \
        network's receptive field (no seams; U-Net tiles are padded to a multiple of 2^depth), and \
        is written as PNG or tiled TIFF in the input's own values (--values source), or as a \
        derived DICOM of a DICOM input, de-identified by the DICOM PS3.15 Basic Application \
        Level Confidentiality Profile unless --keep-identifiers (see `medsr upscale --help`). \
        The model file records the degradation it was trained to undo (`medsr inspect` does not \
        read models; the line printed here names it).

        Examples:
          medsr restore --model runs/dncnn-15 noisy.png denoised.png
          medsr restore --model runs/unet-blur2/model.safetensors slide.tif sharp.tif --region 0,0,1024,1024
          medsr restore --model runs/dncnn-15 scan.dcm scan_denoised.dcm
        """
    )

    @OptionGroup var options: EnhanceOptions

    func validate() throws { try options.check(command: "restore") }

    func run() throws { try options.run(task: .restoration) }
}

/// The options and the run of `upscale` and `restore`.
struct EnhanceOptions: ParsableArguments {
    @Option(help: "model.safetensors from medsr train (or its run folder).") var model: String
    @Argument(help: "Input image.") var input: String
    @Argument(help: "Output file (.png, .tif or .dcm).") var output: String
    @Option(parsing: .unconditional, help: "Frame of a multi-frame image.") var frame = 0
    @Option(parsing: .unconditional, help: "Pyramid level of a slide.") var level = 0
    @Option(parsing: .unconditional, help: "Region x,y,width,height of the input.") var region: String?
    @Option(parsing: .unconditional, help: "Input tile side for inference (default: from the model's receptive field).") var tile: Int?
    @Flag(name: .customLong("keep-identifiers"), help: "DICOM output: keep the source's identifiers (no de-identification).")
    var keepIdentifiers = false
    @Option(name: .customLong("deid-option"),
            help: "DICOM output: an option of the PS3.15 profile (repeatable): modified-dates shifts dates by a per-patient number of days, full-dates keeps them, patient-characteristics keeps sex, age, size, weight…, clean-descriptors keeps descriptions and comments without identifying values, device-identity, institution-identity, uids keep those.")
    var deidOptions: [ConfidentialityProfile.Option] = []
    @Option(name: .customLong("key-file"), help: "DICOM output: secret key (16 bytes or more) for replacement UIDs and date shifts.")
    var keyFile: String?
    @Option(help: "PNG/TIFF values: source (the input's own values and sample type) or mapped (the model's dataset mapping).")
    var values: OutputValues = .source
    @Option(name: .customLong("max-mb"), parsing: .unconditional, help: "Refuse inputs whose pixels exceed this many MiB.") var maxMB = 4096

    func check(command: String) throws {
        if let region, Region(argument: region) == nil { throw ValidationError("--region takes x,y,width,height") }
        if let tile, tile < 16 { throw ValidationError("--tile must be at least 16") }
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        if !EnhancementRequest.outputExtensions.contains(ext) {
            throw ValidationError("\(output): " + (ext.isEmpty ? "give the output an extension" : "MedSR cannot write .\(ext) files")
                + "; \(command) writes .png, .tif (or .tiff) and .dcm")
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

    func run(task: ModelTask) throws {
        // Before loading and inferring: a read-only or full output disk fails now, in one line.
        try prepareOutputs([output])
        let m = try withCleanError { try EnhancementModel(path: model) }
        if m.task != task {
            let command = task == .superResolution ? "upscale" : "restore"
            let other = m.task == .superResolution ? "medsr upscale" : "medsr restore"
            report("medsr: \(model): a \(m.task == .superResolution ? "×\(m.scale) super-resolution" : "restoration") model (\(m.architecture)); \(command) needs a \(task == .superResolution ? "super-resolution" : "restoration") model — use \(other)")
            throw ExitCode(2)
        }
        let dicomOutput = URL(fileURLWithPath: output).pathExtension.lowercased() == "dcm"
        var request = EnhancementRequest(input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output),
                                         modelName: URL(fileURLWithPath: model).lastPathComponent)
        request.frame = frame
        request.level = level
        request.region = region.flatMap(Region.init(argument:))
        request.tile = tile
        request.values = values
        request.maxBytes = maxMB << 20
        if dicomOutput && !keepIdentifiers {
            var key: [UInt8]?
            if let keyFile {
                // One reader of key files for pseudonyms and de-identification (reads pipes too).
                do { key = try Pseudonymizer.readKey(URL(fileURLWithPath: keyFile)) } catch { report("medsr: \(oneLine(error))"); throw ExitCode(2) }
            }
            request.deidentification = Deidentification(options: Set(deidOptions), key: key)
        }
        let s = try withCleanError { try Enhancer.run(m, request) }
        let what = m.scale > 1 ? "×\(m.scale) of \(s.inputColumns)×\(s.inputRows)" : "restored" + (m.metadata["degradation"].map { " (\($0))" } ?? "")
        print("\(output): \(s.outputColumns)×\(s.outputRows) (\(what)); intensity \(s.intensityMode) window \(String(format: "%.6g…%.6g", s.window.lo, s.window.hi)); written in \(s.written)"
            + (s.colourDropped ? "; the colour input was read as grey (luma), the model takes 1 channel" : ""))
    }
}

extension ConfidentialityProfile.Option: ExpressibleByArgument {
    public init?(argument: String) {
        guard let option = Self(rawValue: argument), Self.implemented.contains(option) else { return nil }
        self = option
    }

    public static var allValueStrings: [String] { implemented.map(\.rawValue) }
}

extension OutputValues: ExpressibleByArgument {}
