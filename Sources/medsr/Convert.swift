import ArgumentParser
import Dispatch
import Foundation
import MedIO
import MedImage
import Synchronization

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert one file or a whole tree to PNG, tiled TIFF or .npy.",
        discussion: """
        A folder is converted in parallel and mirrored under OUT; files that fail are listed one \
        line each and skipped. Exit status: 0 all converted, 3 some failed, 1 none converted, \
        2 usage error.

        Values: 'stored' = raw stored samples (pydicom's pixel_array); 'modality' = rescale \
        applied (Hounsfield units for CT; float32 unless the rescale is identity); 'display' = \
        window or VOI LUT, then MONOCHROME1 polarity, scaled to --bits. Default: modality for \
        npy, display for png and tiff. --window auto uses the file's first window, else its \
        VOI LUT, else the image's min/max; 'none' maps the full stored range; 'C/W' sets one.

        An .npy holds [rows, columns], [rows, columns, samples], or with --frame all and more \
        than one frame a leading frame axis. PNG and TIFF write one file per frame, numbered from 0 as --frame counts (name_f0000, name_f0001, …).

        The output file's extension chooses the format (.png, .tif/.tiff, .npy; none: --format, else PNG); an extension MedSR cannot write is a usage error. In a folder, files that are not images (by content: a README.txt, a .csv) are skipped and counted, not failed.

        NIfTI volumes (.nii, .nii.gz, .hdr/.img) are written as slices across --axis (default 2, k: the acquisition's slice axis); --frame picks one slice, --volume one 3-D volume of a 4-D file. A slice across axis a spans the two other voxel axes u < v: columns run along u and rows along v, row 0 at v = 0 (the file's voxel order; nibabel's data.take(s, axis=a).T). Modality values apply scl_slope/scl_inter.

        A folder holding one DICOM series converted to OUT.nii or OUT.nii.gz becomes one NIfTI-1 volume (stored values, rescale as scl_slope/scl_inter, the affine from the slices' positions, orientation and spacing, as dcm2niix writes it) and OUT.json, a BIDS-style sidecar of acquisition parameters without identifiers. A series with gaps, uneven spacing or tilted positions is refused, never resampled.

        Examples:
          medsr convert scan.dcm scan.png
          medsr convert CT_FOLDER/ out/ --format npy --values modality
          medsr convert 1.mat mask.png --mask tumorMask
          medsr convert slide.tif region.png --level 1 --region 0,0,512,512
          medsr convert brain.nii.gz slices/ --format png --axis 2
          medsr convert CT_SERIES/ ct.nii.gz
        """
    )

    @Argument(help: "Input file or folder.") var input: String
    @Argument(help: "Output file, or folder when the input is a folder.") var output: String
    @Option(parsing: .unconditional, help: "Frame of a multi-frame image: a number (0-based) or 'all'.") var frame = "all"
    @Option(parsing: .unconditional, help: "Pyramid level of a slide (0 = full resolution).") var level = 0
    @Option(parsing: .unconditional, help: "Region x,y,width,height in the level's pixels.") var region: String?
    @Option(parsing: .unconditional, help: "NIfTI: voxel axis to slice across: 0 (i), 1 (j) or 2 (k, default).") var axis: Int?
    @Option(parsing: .unconditional, help: "NIfTI: 3-D volume of a 4-D file (0-based).") var volume = 0
    @Option(help: "stored | modality | display") var values: String?
    @Option(parsing: .unconditional, help: "auto | none | CENTER/WIDTH (display values only; e.g. -600/1500).") var window = "auto"
    @Option(parsing: .unconditional, help: "8 or 16 (display values only).") var bits = 8
    @Option(help: "png | tiff | npy") var format: String?
    @Option(help: "Write this mask instead of the image (e.g. tumorMask).") var mask: String?
    @Option(help: "MATLAB variable to read (e.g. cjdata.image).") var variable: String?
    @Flag(name: .customLong("gray"), help: "Reduce colour to one luminance channel.") var forceGray = false
    @Option(help: "TIFF tile compression: none | lzw | deflate | jpeg") var compression = "deflate"
    @Option(name: .customLong("max-mb"), parsing: .unconditional, help: "Refuse images whose pixels exceed this many MiB.") var maxMB = 4096
    @Option(name: .shortAndLong, parsing: .unconditional, help: "Files converted at once; for one file, threads its JPEG 2000 decoder may use (default: cores).")
    var jobs: Int?

    var workers: Int { jobs ?? processorCount }

    func validate() throws {
        if frame != "all" && Int(frame) == nil { throw ValidationError("--frame takes a number or 'all'") }
        if let region, Region(argument: region) == nil { throw ValidationError("--region takes x,y,width,height") }
        if let values, ValueMode(rawValue: values) == nil { throw ValidationError("--values is stored, modality or display") }
        if WindowChoice(argument: window) == nil { throw ValidationError("--window is auto, none or CENTER/WIDTH (e.g. 40/400)") }
        if bits != 8 && bits != 16 { throw ValidationError("--bits is 8 or 16") }
        if let format, OutputFormat(fileExtension: format) == nil { throw ValidationError("--format is png, tiff or npy") }
        if TIFFCodec.Compression(rawValue: compression) == nil { throw ValidationError("--compression is none, lzw, deflate or jpeg") }
        if let axis, !(0 ... 2).contains(axis) { throw ValidationError("--axis is 0, 1 or 2") }
        if volume < 0 { throw ValidationError("--volume must be 0 or more") }
        if workers < 1 || maxMB < 1 { throw ValidationError("--jobs and --max-mb must be positive") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), !isDirectory.boolValue {
            _ = try outputFormat(for: singleTarget())
        }
    }

    /// The output of a one-file conversion: OUTPUT, or the input's name inside OUTPUT when it is a folder.
    func singleTarget() -> URL {
        let inputURL = URL(fileURLWithPath: input).standardizedFileURL
        let outputURL = URL(fileURLWithPath: output).standardizedFileURL
        var outIsDir: ObjCBool = false
        if output.hasSuffix("/") || (FileManager.default.fileExists(atPath: outputURL.path, isDirectory: &outIsDir) && outIsDir.boolValue) {
            return outputURL.appendingPathComponent(ImageFiles.stem(of: inputURL))
        }
        return outputURL
    }

    /// The format to write: --format, else the output's extension, else PNG. An extension
    /// MedSR cannot write, or one that contradicts --format, is a usage error.
    func outputFormat(for target: URL) throws -> OutputFormat {
        let requested = format.flatMap(OutputFormat.init(fileExtension:))
        let ext = target.pathExtension
        guard !ext.isEmpty else { return requested ?? .png }
        guard let named = OutputFormat(fileExtension: ext) else {
            let nifti = ext == "nii" || output.hasSuffix(".nii.gz") ? " from one file (a folder holding one DICOM series becomes OUT.nii or OUT.nii.gz)" : ""
            throw ValidationError("\(output): MedSR cannot write .\(ext) files\(nifti); it writes \(OutputFormat.writableDescription)")
        }
        if let requested, requested != named {
            throw ValidationError("\(output): the extension says \(named.rawValue) but --format is \(requested.rawValue); give one or make them agree")
        }
        return named
    }

    func options(format chosen: OutputFormat) -> ConversionOptions {
        var o = ConversionOptions()
        o.read.frames = Int(frame).map { .index($0) } ?? .all
        o.read.level = level
        o.read.axis = axis
        o.read.volume = volume
        o.read.region = region.flatMap(Region.init(argument:))
        o.read.forceGray = forceGray
        o.read.variable = variable
        o.read.maxBytes = maxMB << 20
        o.format = chosen
        o.values = values.flatMap(ValueMode.init(rawValue:))
        o.window = WindowChoice(argument: window) ?? .auto
        o.bits = bits
        o.mask = mask
        o.tiffCompression = TIFFCodec.Compression(rawValue: compression) ?? .deflate
        return o
    }

    func run() throws {
        let inputURL = URL(fileURLWithPath: input).standardizedFileURL
        let outputURL = URL(fileURLWithPath: output).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: inputURL.path, isDirectory: &isDirectory) else {
            report("medsr: \(input): no such file or folder")
            throw ExitCode(1)
        }
        if !isDirectory.boolValue {
            let target = singleTarget()
            // One file: its JPEG 2000 frames may use the --jobs threads (a folder uses them for files).
            var single = options(format: try outputFormat(for: target))
            single.read.decoderThreads = workers
            // Checked before decoding: a read-only or full disk is one line, not a decoded image lost.
            try withCleanError { try OutputLocation.prepareFile(target) }
            let written = try withCleanError { try Converter.convert(inputURL, to: target, options: single) }
            for url in written { print(url.path) }
            return
        }
        if output.hasSuffix(".nii") || output.hasSuffix(".nii.gz") {
            // One DICOM series → one NIfTI volume and its JSON sidecar, as dcm2niix writes them.
            let written = try withCleanError {
                try SeriesVolume.load(folder: inputURL, maxBytes: maxMB << 20, threads: workers).writeNIfTI(to: outputURL, threads: workers)
            }
            for url in written { print(url.path) }
            return
        }
        let all = ImageFiles.files(under: inputURL)
        // Files that are not images by content (README.txt, .csv …) are skipped, not failed.
        let files = all.filter(ImageFiles.isImageCandidate)
        let notImages = all.count - files.count
        guard !files.isEmpty else {
            report("medsr: \(input): the folder holds no " + (all.isEmpty ? "files" : "image files (\(all.count) other file\(all.count == 1 ? "" : "s") skipped)"))
            throw ExitCode(1)
        }
        let opts = options(format: format.flatMap(OutputFormat.init(fileExtension:)) ?? .png)
        try withCleanError { try OutputLocation.prepareFolder(outputURL) }
        let rootPath = inputURL.path.hasSuffix("/") ? inputURL.path : inputURL.path + "/"
        let progress = Progress(total: files.count, unit: "files")
        let failures = Mutex([(Int, String)]())
        // The output's failure (disk full, read-only) stops the run: said once, not once per file.
        let stopped = Mutex<String?>(nil)
        let done = Atomic<Int>(0)
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(workers, files.count)) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < files.count, stopped.withLock({ $0 == nil }) else { return }
                let file = files[i]
                let relative = String(file.path.dropFirst(rootPath.count))
                let target = outputURL.appendingPathComponent(relative).deletingLastPathComponent()
                    .appendingPathComponent(ImageFiles.stem(of: file))
                do {
                    _ = try Converter.convert(file, to: target, options: opts)
                    done.add(1, ordering: .relaxed)
                } catch let error as OutputError {
                    stopped.withLock { if $0 == nil { $0 = oneLine(error) } }
                } catch {
                    failures.withLock { $0.append((i, oneLine(error))) }
                }
                progress.advance()
            }
        }
        progress.finish()
        let failed = failures.withLock { $0.sorted { $0.0 < $1.0 } }
        for (_, message) in failed { report("medsr: \(message)") }
        let converted = done.load(ordering: .relaxed)
        if let stop = stopped.withLock({ $0 }) {
            report("medsr: \(stop)")
            report("stopped: the output cannot be written; converted \(converted) of \(files.count) image files into \(outputURL.path)")
            throw ExitCode(1)
        }
        report("converted \(converted) of \(files.count) image file\(files.count == 1 ? "" : "s") into \(outputURL.path)"
            + (failed.isEmpty ? "" : "; \(failed.count) failed")
            + (notImages == 0 ? "" : "; \(notImages) file\(notImages == 1 ? "" : "s") that \(notImages == 1 ? "is" : "are") not an image skipped"))
        if converted == 0 { throw ExitCode(1) }
        if !failed.isEmpty { throw ExitCode(3) }
    }
}
