public import Foundation
import MedIO

/// The ordered work of a build: every source item, and what was left out of the listing.
public struct Listing: Sendable {
    public var items: [SourceItem] = []
    /// (relative path, reason) for files the listing could not use.
    public var skipped: [(String, String)] = []
    /// One-line facts a person should know (missing files, fold facts).
    public var notes: [String] = []

    /// A fingerprint of the listing: parts built from another listing are never mixed.
    public var fingerprint: String {
        var text = ""
        for item in items {
            text += "\(item.path)|\(item.slice.map(String.init) ?? "")|\(item.official ?? "")|\(item.fold.map(String.init) ?? "")\n"
        }
        return SHA256.hex(Array(text.utf8))
    }

    /// Lists the input for `recipe`.
    public static func make(recipe: Recipe, input: URL) throws -> Listing {
        switch recipe.source {
        case .figshare: return try figshare(recipe: recipe, input: input)
        case .nih: return try NIHMetadata.listing(recipe: recipe, input: input)
        case .dicom: return dicom(recipe: recipe, input: input)
        case .slides: return slides(recipe: recipe, input: input)
        case .images: return images(recipe: recipe, input: input)
        }
    }

    static func relative(_ url: URL, to root: URL) -> String {
        let base = root.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : url.lastPathComponent
    }

    static func imagesFolder(_ recipe: Recipe, _ input: URL) -> URL {
        recipe.images.isEmpty ? input : input.appendingPathComponent(recipe.images)
    }

    /// figshare: `N.mat` files in numeric order; folds from `cvind.mat` when the recipe names it.
    static func figshare(recipe: Recipe, input: URL) throws -> Listing {
        var listing = Listing()
        let folder = imagesFolder(recipe, input)
        var numbered = [(Int, URL)]()
        for url in ImageFiles.files(under: folder) {
            let stem = url.deletingPathExtension().lastPathComponent
            guard url.pathExtension.lowercased() == "mat" else { continue }
            if let n = Int(stem), n > 0 { numbered.append((n, url)) } else if stem != "cvind" {
                listing.skipped.append((relative(url, to: input), "not a numbered figshare record (N.mat)"))
            }
        }
        numbered.sort { $0.0 < $1.0 }
        var folds: [Int]?
        if let name = recipe.metadata["folds"] {
            let url = input.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) {
                folds = try MATReader.foldIndices(path: url.path)
                if let f = folds, let last = numbered.last?.0, last > f.count {
                    listing.notes.append("\(name) has \(f.count) folds but files go up to \(last).mat; files past it have no fold")
                }
            } else if recipe.split.policy == .fold {
                throw RecipeError(path: url.path, "the fold split needs \(name), which is missing")
            }
        }
        for (n, url) in numbered {
            var item = SourceItem(path: relative(url, to: input))
            if let f = folds, n <= f.count { item.fold = f[n - 1] }
            listing.items.append(item)
        }
        return listing
    }

    /// DICOM folders: every series (by SeriesInstanceUID), slices in order along the normal.
    static func dicom(recipe: Recipe, input: URL) -> Listing {
        var listing = Listing()
        let (series, skipped) = DICOMSeriesScanner.scan(ImageFiles.files(under: imagesFolder(recipe, input)))
        listing.skipped = skipped.map { (relative(URL(fileURLWithPath: $0.0), to: input), $0.1) }
        for s in series {
            let duplicates = Set(s.duplicates)
            for (i, path) in s.files.enumerated() {
                if duplicates.contains(path) {
                    listing.skipped.append((relative(URL(fileURLWithPath: path), to: input), "duplicate slice of its series"))
                    continue
                }
                var item = SourceItem(path: relative(URL(fileURLWithPath: path), to: input))
                item.slice = i
                listing.items.append(item)
            }
            if !s.gapsAfter.isEmpty { listing.notes.append("a series of \(s.files.count) slices has \(s.gapsAfter.count) gap(s)") }
        }
        return listing
    }

    /// Image folders: every file whose format MedSR recognises, by path; the patient is the
    /// first folder under the input, or the file's name at the top level.
    static func images(recipe: Recipe, input: URL) -> Listing {
        var listing = Listing()
        var documents = 0
        for url in ImageFiles.files(under: imagesFolder(recipe, input)) {
            if ["txt", "md", "csv", "json", "xml", "html", "pdf"].contains(url.pathExtension.lowercased()) {
                documents += 1  // READMEs and metadata beside the images are not inputs
                continue
            }
            guard (try? ImageFormat.detect(url)) != nil else {
                listing.skipped.append((relative(url, to: input), "not an image format MedSR reads"))
                continue
            }
            var item = SourceItem(path: relative(url, to: input))
            let parts = item.path.split(separator: "/")
            item.patient = parts.count > 1 ? String(parts[0]) : url.deletingPathExtension().lastPathComponent
            listing.items.append(item)
        }
        if documents > 0 { listing.notes.append("\(documents) document file(s) (txt, csv, json, …) ignored") }
        return listing
    }

    /// Slides: every TIFF under the images folder, by path.
    static func slides(recipe: Recipe, input: URL) -> Listing {
        var listing = Listing()
        for url in ImageFiles.files(under: imagesFolder(recipe, input)) {
            guard (try? ImageFormat.detect(url)) == .tiff else {
                listing.skipped.append((relative(url, to: input), "not a TIFF slide"))
                continue
            }
            listing.items.append(SourceItem(path: relative(url, to: input)))
        }
        return listing
    }
}
