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
        }
    }

    public static func describe(_ url: URL, showPHI: Bool = false) throws -> FileDescription {
        let path = url.path
        switch try ImageFormat.detect(url) {
        case .dicom: return try DICOMReader.describe(path: path, showPHI: showPHI)
        case .matlab: return try MATReader.describe(path: path, showPHI: showPHI)
        case .tiff: return try TIFFCodec.describe(path: path)
        case .png: return try PNGCodec.describe(path: path)
        }
    }

    /// Regular files under `root` (or `root` itself), sorted by path, hidden files skipped.
    public static func files(under root: URL) -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else { return [] }
        if !isDirectory.boolValue { return [root] }
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else { return [] }
        var out = [URL]()
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            out.append(url)
        }
        return out.sorted { $0.path < $1.path }
    }
}
