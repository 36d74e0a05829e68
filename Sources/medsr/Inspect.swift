import ArgumentParser
import Foundation
import MedDataset
import MedIO
import MedImage

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a file or a folder without decoding pixels.",
        discussion: """
        On a dataset built by `medsr build`: its card (recipe, tile, scales, intensity
        mapping, degradation) and split report. On a file: format, dimensions, sample type, frames, spacing, modality, transfer syntax,
        window, pyramid levels, MATLAB variables, masks. On a folder: DICOM series (slice order,
        duplicates, gaps) and a count of the other files.

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
        let (series, skipped) = DICOMSeriesScanner.scan(files)
        var counts = [String: Int]()
        for file in files { counts[(try? ImageFormat.detect(file))?.rawValue ?? "other", default: 0] += 1 }
        if json {
            struct Summary: Encodable { var files: Int; var formats: [String: Int]; var series: [DICOMSeries]; var unreadable: [String] }
            print(try encode(Summary(files: files.count, formats: counts, series: series, unreadable: skipped.map { "\($0.0): \($0.1)" })))
            return
        }
        print("\(files.count) files: " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        for s in series {
            let size = s.rows.map { "\($0)×\(s.columns ?? 0)" } ?? "?"
            print("series \(s.seriesUID): \(s.modality ?? "?"), \(s.files.count) images \(size), ordered by \(s.orderedBy)"
                + (s.sliceSpacingMM.map { String(format: ", slice step %.3g mm", $0) } ?? ""))
            if !s.duplicates.isEmpty { print("  duplicates: \(s.duplicates.count) (\(s.duplicates.prefix(3).joined(separator: ", ")))") }
            if !s.gapsAfter.isEmpty { print("  gaps after slices: \(s.gapsAfter.map(String.init).joined(separator: ", "))") }
        }
        for (file, why) in skipped { report("medsr: \(why.hasPrefix(file) ? why : "\(file): \(why)")") }
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

/// Runs `body`; a library error becomes one line on stderr and exit status 1.
func withCleanError<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        report("medsr: \(error)")
        throw ExitCode(1)
    }
}
