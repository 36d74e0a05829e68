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
        A folder is converted in parallel and mirrored under OUT; files that fail are listed one
        line each and skipped. Exit status: 0 all converted, 3 some failed, 1 none converted,
        2 usage error.

        Values: 'stored' = raw stored samples (pydicom's pixel_array); 'modality' = rescale
        applied (Hounsfield units for CT; float32 unless the rescale is identity); 'display' =
        window or VOI LUT, then MONOCHROME1 polarity, scaled to --bits. Default: modality for
        npy, display for png and tiff. --window auto uses the file's first window, else its
        VOI LUT, else the image's min/max; 'none' maps the full stored range; 'C/W' sets one.

        An .npy holds [rows, columns], [rows, columns, samples], or with --frame all and more
        than one frame a leading frame axis. PNG and TIFF write one file per frame (_f0001…).

        NIfTI volumes (.nii, .nii.gz, .hdr/.img) are written as slices across --axis (default 2,
        k: the acquisition's slice axis); --frame picks one slice, --volume one 3-D volume of a
        4-D file. A slice across axis a spans the two other voxel axes u < v: columns run along
        u and rows along v, row 0 at v = 0 (the file's voxel order; nibabel's
        data.take(s, axis=a).T). Modality values apply scl_slope/scl_inter.

        A folder holding one DICOM series converted to OUT.nii or OUT.nii.gz becomes one NIfTI-1
        volume (stored values, rescale as scl_slope/scl_inter, the affine from the slices'
        positions, orientation and spacing, as dcm2niix writes it) and OUT.json, a BIDS-style
        sidecar of acquisition parameters without identifiers. A series with gaps, uneven
        spacing or tilted positions is refused, never resampled.

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
    @Option(help: "Frame of a multi-frame image: a number (0-based) or 'all'.") var frame = "all"
    @Option(help: "Pyramid level of a slide (0 = full resolution).") var level = 0
    @Option(help: "NIfTI: voxel axis to slice across: 0 (i), 1 (j) or 2 (k, default).") var axis: Int?
    @Option(help: "NIfTI: 3-D volume of a 4-D file (0-based).") var volume = 0
    @Option(help: "Region x,y,width,height in the level's pixels.") var region: String?
    @Option(help: "stored | modality | display") var values: String?
    @Option(help: "auto | none | CENTER/WIDTH (display values only).") var window = "auto"
    @Option(help: "8 or 16 (display values only).") var bits = 8
    @Option(help: "png | tiff | npy") var format: String?
    @Option(help: "Write this mask instead of the image (e.g. tumorMask).") var mask: String?
    @Option(help: "MATLAB variable to read (e.g. cjdata.image).") var variable: String?
    @Flag(name: .customLong("gray"), help: "Reduce colour to one luminance channel.") var forceGray = false
    @Option(help: "TIFF tile compression: none | lzw | deflate | jpeg") var compression = "deflate"
    @Option(name: .customLong("max-mb"), help: "Refuse images whose pixels exceed this many MiB.") var maxMB = 4096
    @Option(name: .shortAndLong, help: "Files converted at once; for one file, threads its JPEG 2000 decoder may use (default: cores).") var jobs = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if frame != "all" && Int(frame) == nil { throw ValidationError("--frame takes a number or 'all'") }
        if let region, Region(argument: region) == nil { throw ValidationError("--region takes x,y,width,height") }
        if let values, ValueMode(rawValue: values) == nil { throw ValidationError("--values is stored, modality or display") }
        if WindowChoice(argument: window) == nil { throw ValidationError("--window is auto, none or CENTER/WIDTH (e.g. 40/400)") }
        if bits != 8 && bits != 16 { throw ValidationError("--bits is 8 or 16") }
        if let format, OutputFormat(rawValue: format == "tif" ? "tiff" : format) == nil { throw ValidationError("--format is png, tiff or npy") }
        if TIFFCodec.Compression(rawValue: compression) == nil { throw ValidationError("--compression is none, lzw, deflate or jpeg") }
        if let axis, !(0 ... 2).contains(axis) { throw ValidationError("--axis is 0, 1 or 2") }
        if volume < 0 { throw ValidationError("--volume must be 0 or more") }
        if jobs < 1 || maxMB < 1 { throw ValidationError("--jobs and --max-mb must be positive") }
    }

    func options(outputExtension: String) -> ConversionOptions {
        var o = ConversionOptions()
        o.read.frames = Int(frame).map { .index($0) } ?? .all
        o.read.level = level
        o.read.axis = axis
        o.read.volume = volume
        o.read.region = region.flatMap(Region.init(argument:))
        o.read.forceGray = forceGray
        o.read.variable = variable
        o.read.maxBytes = maxMB << 20
        let named = format.map { $0 == "tif" ? "tiff" : $0 } ?? (outputExtension == "tif" ? "tiff" : outputExtension)
        o.format = OutputFormat(rawValue: named) ?? .png
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
            var target = outputURL
            var outIsDir: ObjCBool = false
            if output.hasSuffix("/") || (FileManager.default.fileExists(atPath: outputURL.path, isDirectory: &outIsDir) && outIsDir.boolValue) {
                target = outputURL.appendingPathComponent(inputURL.deletingPathExtension().lastPathComponent)
            }
            // One file: its JPEG 2000 frames may use the --jobs threads (a folder uses them for files).
            var single = options(outputExtension: target.pathExtension.lowercased())
            single.read.decoderThreads = jobs
            let written = try withCleanError { try Converter.convert(inputURL, to: target, options: single) }
            for url in written { print(url.path) }
            return
        }
        if output.hasSuffix(".nii") || output.hasSuffix(".nii.gz") {
            // One DICOM series → one NIfTI volume and its JSON sidecar, as dcm2niix writes them.
            let written = try withCleanError {
                try SeriesVolume.load(folder: inputURL, maxBytes: maxMB << 20, threads: jobs).writeNIfTI(to: outputURL, threads: jobs)
            }
            for url in written { print(url.path) }
            return
        }
        let files = ImageFiles.files(under: inputURL)
        guard !files.isEmpty else {
            report("medsr: \(input): the folder holds no files")
            throw ExitCode(1)
        }
        let opts = options(outputExtension: "")
        let rootPath = inputURL.path.hasSuffix("/") ? inputURL.path : inputURL.path + "/"
        let progress = Progress(total: files.count, unit: "files")
        let failures = Mutex([(Int, String)]())
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(jobs, files.count)) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < files.count else { return }
                let file = files[i]
                let relative = String(file.path.dropFirst(rootPath.count))
                let target = outputURL.appendingPathComponent(relative).deletingPathExtension()
                do {
                    _ = try Converter.convert(file, to: target, options: opts)
                } catch {
                    failures.withLock { $0.append((i, "\(error)")) }
                }
                progress.advance()
            }
        }
        progress.finish()
        let failed = failures.withLock { $0.sorted { $0.0 < $1.0 } }
        for (_, message) in failed { report("medsr: \(message)") }
        let converted = files.count - failed.count
        report("converted \(converted) of \(files.count) files into \(outputURL.path)" + (failed.isEmpty ? "" : "; \(failed.count) failed"))
        if converted == 0 { throw ExitCode(1) }
        if !failed.isEmpty { throw ExitCode(3) }
    }
}
