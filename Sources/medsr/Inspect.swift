import ArgumentParser
import Foundation
import MedDataset
import MedIO
import MedImage

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a file or a folder without decoding pixels.",
        discussion: """
        On a dataset built by `medsr build`: its card (recipe, tile, scales, intensity \
        mapping, degradation) and split report. On a file: format, dimensions, sample type, frames, spacing, modality, transfer syntax, \
        window, pyramid levels, MATLAB variables, masks. On a folder: DICOM series (slice order, \
        duplicates, gaps) and a count of the other files.

        Declared sizes are checked against the file without decoding pixels (PNG chunks, MATLAB v5 \
        data elements, DICOM element headers), so a truncated file is reported with where it ends. \
        Exit status: 0 described; 1 the file cannot be read, or the folder holds no files; 3 some \
        files of the folder cannot be read (each is listed).

        Examples:
          medsr inspect scan.dcm
          medsr inspect slide.tif --json
          medsr inspect DICOM_FOLDER/
          medsr inspect ds/
        """
    )

    @Argument(help: "A file or a folder.") var path: String
    @Flag(help: "Print JSON instead of text.") var json = false
    @Flag(name: .customLong("show-phi"), help: "Include patient identifiers (off by default).") var showPHI = false

    func run() throws {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            report("medsr: \(path): no such file or folder")
            throw ExitCode(1)
        }
        if isDirectory.boolValue && Dataset.isDataset(url) {
            try inspectDataset(url)
        } else if isDirectory.boolValue {
            try inspectFolder(url)
        } else {
            let description = try withCleanError { try ImageFiles.describe(url, showPHI: showPHI) }
            if json { print(try encode(description)) } else { print(text(description)) }
        }
    }

    func inspectFolder(_ url: URL) throws {
        let files = ImageFiles.files(under: url)
        guard !files.isEmpty else {
            report("medsr: \(path): the folder holds no files (hidden files are not counted)")
            throw ExitCode(1)
        }
        let (series, skippedDICOM) = DICOMSeriesScanner.scan(files)
        var unreadable = skippedDICOM
        var counts = [String: Int]()
        for file in files {
            let format = try? ImageFormat.detect(file)
            counts[format?.rawValue ?? "other", default: 0] += 1
            // Other images: declared sizes are checked against the file (no pixels decoded; DICOM was read above).
            guard let format, format != .dicom else { continue }
            do { try ImageFiles.checkStructure(file) } catch {
                unreadable.append((file.path, (error as? any FileProblem)?.reason ?? oneLine(error)))
            }
        }
        unreadable.sort { $0.0 < $1.0 }
        if json {
            struct Summary: Encodable { var files: Int; var formats: [String: Int]; var series: [DICOMSeries]; var unreadable: [String] }
            print(try encode(Summary(files: files.count, formats: counts, series: series, unreadable: unreadable.map { "\($0.0): \($0.1)" })))
        } else {
            print("\(counted(files.count, "file")): " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            for s in series {
                let size = s.rows.map { "\($0)×\(s.columns ?? 0)" } ?? "?"
                print("series \(s.seriesUID): \(s.modality ?? "?"), \(counted(s.files.count, "image")) \(size), ordered by \(s.orderedBy)"
                    + (s.sliceSpacingMM.map { String(format: ", slice step %.3g mm", $0) } ?? ""))
                if let stacks = s.stackSummary { print("  \(stacks)") }
                if s.isSegmentation {
                    let target = s.referencedSeriesUID.map { uid in series.contains { $0.seriesUID == uid } ? "series \(uid)" : "series \(uid), which is not in this folder" }
                    print("  a segmentation (masks, not images) of \(target ?? "a series it does not name")")
                }
                if !s.duplicates.isEmpty {
                    let shown = s.duplicates.prefix(3).map { relative($0, to: url) }
                    print("  duplicates: \(s.duplicates.count) (\(shown.joined(separator: ", "))"
                        + (s.duplicates.count > shown.count ? ", and \(s.duplicates.count - shown.count) more; --json lists all)" : ")"))
                }
                if !s.gapsAfter.isEmpty { print("  gaps after slices: \(s.gapsAfter.map(String.init).joined(separator: ", "))") }
            }
        }
        for (file, why) in unreadable { report("medsr: \(file): \(why)") }
        if !unreadable.isEmpty {
            report("medsr: \(counted(unreadable.count, "file")) of \(files.count) could not be read")
            throw ExitCode(3)
        }
    }

    func relative(_ file: String, to folder: URL) -> String {
        let root = folder.standardizedFileURL.path + "/"
        return file.hasPrefix(root) ? String(file.dropFirst(root.count)) : file
    }

    func text(_ d: FileDescription) -> String {
        var lines = ["\(d.path)", "  format: \(d.format.rawValue)"]
        func add(_ name: String, _ value: String?) { if let value { lines.append("  \(name): \(value)") } }
        if let r = d.rows, let c = d.columns { add("size", "\(c) × \(r) (columns × rows)") }
        add("frames", d.frames.map(String.init))
        add("samples per pixel", d.samplesPerPixel.map(String.init))
        add("sample type", d.sampleType?.rawValue)
        add("bits stored", d.bitsStored.map(String.init))
        add("photometric", d.photometric)
        add("modality", d.modality)
        add("transfer syntax", d.transferSyntax)
        add("pixel spacing (mm)", d.pixelSpacingMM.map { $0.map { String(format: "%.4g", $0) }.joined(separator: " × ") })
        if let r = d.rescale, !r.isIdentity { add("rescale", "slope \(r.slope), intercept \(r.intercept)") }
        if let w = d.windows, !w.isEmpty { add("windows", w.map { "C \($0.center) / W \($0.width)" }.joined(separator: ", ")) }
        if d.hasVOILUT == true { add("VOI LUT", "yes") }
        add("series", d.seriesUID)
        add("label", d.label)
        add("patient id", d.patientID)
        add("patient name", d.patientName)
        if let masks = d.masks, !masks.isEmpty { add("masks", masks.joined(separator: ", ")) }
        if let v = d.volume { lines += volumeLines(v) }
        for level in d.levels ?? [] {
            let tiles = level.tileWidth.map { "tiles \($0)×\(level.tileHeight ?? 0)" } ?? "strips"
            lines.append("  level \(level.level): \(level.width) × \(level.height), \(tiles), \(level.compression) (\(level.source))")
        }
        for v in d.variables ?? [] {
            lines.append("  variable \(v.name): \(v.matlabClass) \(v.dimensions.map(String.init).joined(separator: "×"))")
        }
        for note in d.notes ?? [] { lines.append("  note: \(note)") }
        return lines.joined(separator: "\n")
    }
}

/// A NIfTI header in a few lines: what `inspect` shows for a volume.
func volumeLines(_ v: VolumeDescription) -> [String] {
    func number(_ x: Double) -> String { String(format: "%.6g", x) }
    let axes = ["i", "j", "k", "t", "u", "v", "w"]
    var lines = [
        "  NIfTI-\(v.niftiVersion): \(v.storage == "pair" ? ".hdr/.img pair" : "single file")\(v.gzip ? ", gzip" : "")",
        "  dimensions: \(v.dimensions.map(String.init).joined(separator: " × ")) (\(axes.prefix(v.dimensions.count).joined(separator: " × ")))",
        "  voxel size (mm): \(v.voxelSizeMM.map(number).joined(separator: " × "))",
    ]
    if let t = v.timeStepSeconds { lines.append("  time step (s): \(number(t))") }
    lines.append("  datatype: \(v.datatype)" + (v.readAs.map { " (read as \($0))" } ?? ""))
    let scaled = v.sclSlope.isFinite && v.sclSlope != 0
    lines.append("  scl_slope / scl_inter: \(number(v.sclSlope)) / \(number(v.sclInter))" + (scaled ? "" : " (no scaling)"))
    if let affine = v.affine {
        lines.append("  affine (\(v.affineSource), voxel → mm):")
        for row in affine { lines.append("    " + row.map { String(format: "%10.4f", $0) }.joined(separator: " ")) }
        lines.append("  orientation: \(v.orientation ?? "?")")
    } else {
        lines.append("  affine: none (qform_code and sform_code are 0)")
    }
    lines.append("  volumes: \(v.volumes)")
    return lines
}

func encode<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// "1 file", "2 files".
func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

/// Runs `body`; a library error becomes one line on stderr and exit status 1.
func withCleanError<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        report("medsr: \(oneLine(error))")
        throw ExitCode(1)
    }
}
