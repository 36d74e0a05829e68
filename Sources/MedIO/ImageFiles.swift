public import Foundation
public import MedImage

/// The one entry point: find a file's format by content and hand it to its reader.
public enum ImageFiles {
    public static func read(_ url: URL, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        let path = url.path
        switch try ImageFormat.detect(url) {
        case .dicom:
            var image = try DICOMReader.read(path: path, options: options)
            if let r = options.region {
                guard r.x + r.width <= image.pixels.columns, r.y + r.height <= image.pixels.rows else {
                    throw DICOMError(.invalidRequest, path: path, "region lies outside the \(image.pixels.columns)×\(image.pixels.rows) image")
                }
                image.pixels = image.pixels.cropped(x: r.x, y: r.y, width: r.width, height: r.height)
                image.masks = image.masks.mapValues { $0.cropped(x: r.x, y: r.y, width: r.width, height: r.height) }
                image.provenance.region = [r.x, r.y, r.width, r.height]
            }
            return image
        case .matlab: return try MATReader.read(path: path, options: options)
        case .tiff: return try TIFFCodec.read(path: path, options: options)
        case .png: return try PNGCodec.read(path: path, options: options)
        case .jpeg: return try JPEGCodec.read(path: path, options: options)
        case .bmp: return try BMPCodec.read(path: path, options: options)
        case .nifti: return try NIfTIReader.read(path: path, options: options)
        }
    }

    public static func describe(_ url: URL, showPHI: Bool = false) throws -> FileDescription {
        let path = url.path
        switch try ImageFormat.detect(url) {
        case .dicom: return try DICOMReader.describe(path: path, showPHI: showPHI)
        case .matlab: return try MATReader.describe(path: path, showPHI: showPHI)
        case .tiff: return try TIFFCodec.describe(path: path)
        case .png: return try PNGCodec.describe(path: path)
        case .jpeg: return try JPEGCodec.describe(path: path)
        case .bmp: return try BMPCodec.describe(path: path)
        case .nifti: return try NIfTIReader.describe(path: path)
        }
    }

    /// Checks a file's declared structure against its size without decoding pixels or starting
    /// a reader process: PNG chunks, MATLAB v5 data elements, TIFF headers. Fast enough for every
    /// file of a large folder (MATLAB v7.3 / HDF5 files are left to their reader).
    /// - Throws: the format's error (`.corrupt` for a truncated file) naming the file.
    public static func checkStructure(_ url: URL) throws {
        let path = url.path
        switch try ImageFormat.detect(url) {
        case .png:
            if let cut = Truncation.png(path: path) { throw PNGError(.corrupt, path: path, "the file is truncated: \(cut)") }
        case .matlab:
            if let cut = Truncation.matV5(path: path) { throw MATError(.corrupt, path: path, "the file is truncated: \(cut)") }
        case .tiff: _ = try TIFFCodec.describe(path: path)
        case .dicom: _ = try DICOMReader.describe(path: path, showPHI: false)
        case .jpeg: _ = try JPEGCodec.describe(path: path)
        case .bmp: _ = try BMPCodec.describe(path: path)
        case .nifti: _ = try NIfTIReader.describe(path: path)
        }
    }

    /// A file's name without its extension, a compound one (`brain.nii.gz` → `brain`) included:
    /// the name its converted outputs take.
    public static func stem(of url: URL) -> String {
        let name = url.lastPathComponent
        for compound in [".nii.gz", ".hdr.gz", ".img.gz"] where name.lowercased().hasSuffix(compound) && name.count > compound.count {
            return String(name.dropLast(compound.count))
        }
        return url.deletingPathExtension().lastPathComponent
    }

    /// Whether a file found in a tree is an image to read: its content is a format MedSR reads,
    /// or its name says it is an image (`.dcm`, `.png`, `.tif`, `.mat`, `.jpg`, …; then a damaged
    /// one is reported, not passed over). Other files (`README.txt`, `.csv`, `DICOMDIR` …) are not.
    public static func isImageCandidate(_ url: URL) -> Bool {
        if (try? ImageFormat.detect(url)) != nil { return true }
        return imageExtensions.contains(url.pathExtension.lowercased())
    }

    static let imageExtensions: Set<String> = ["dcm", "dicom", "ima", "png", "tif", "tiff", "svs", "mat", "jpg", "jpeg", "bmp",
                                               "nii"]

    /// Regular files under `root` (or `root` itself), sorted by path, hidden files skipped.
    public static func files(under root: URL) -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else { return [] }
        if !isDirectory.boolValue { return [root] }
        // readdir with its file types, not FileManager's enumerator: on Linux that looks up the
        // owner's name in /etc/passwd for every file, which costs minutes on 112,120 files.
        var out = [String]()
        var pending = [root.standardizedFileURL.path]
        while let folder = pending.popLast() {
            guard let dir = opendir(folder) else { continue }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name.hasPrefix(".") { continue }
                let path = folder + "/" + name
                var type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) || type == UInt8(DT_LNK) {
                    // Links are followed to files, never into folders (no cycles, no escape).
                    var st = stat()
                    guard stat(path, &st) == 0 else { continue }
                    let kind = st.st_mode & S_IFMT
                    type = kind == S_IFREG ? UInt8(DT_REG) : (kind == S_IFDIR && type == UInt8(DT_UNKNOWN) ? UInt8(DT_DIR) : 0)
                }
                if type == UInt8(DT_DIR) { pending.append(path) } else if type == UInt8(DT_REG) { out.append(path) }
            }
        }
        return out.sorted().map { URL(fileURLWithPath: $0) }
    }
}
