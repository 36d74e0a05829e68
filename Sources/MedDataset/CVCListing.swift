import Foundation
import MedImage
import MedIO

/// Lists the CVC colonoscopy sets (Bernal et al.): frames with polyp masks, in the published layouts.
///
/// - CVC-ClinicDB: `Original/<n>.tif` frames, `Ground Truth/<n>.tif` polyp masks.
/// - CVC-ColonDB: `<n>.bmp` frames beside `p<n>.bmp` (polyp), `s<n>.bmp` (specular highlights,
///   the non-informative regions) and `c<n>.bmp` (polyp contour) masks.
/// - Either set as redistributed for polyp segmentation: `images/<n>.png` + `masks/<n>.png`.
///
/// Formats are found by content. Frames of one video are one patient: the frame → sequence
/// table `sequences.csv` (`first,last,sequence`, frame numbers inclusive) is read where the
/// recipe says (`metadata.sequences`, an absolute path or one relative to the input, else found
/// by name in the input); without it every frame is its own patient and the build warns that
/// frames of one video may land in different splits.
enum CVCListing {
    /// The masks a set can make, in their usual order.
    static func maskNames(_ source: Recipe.SourceKind) -> [String] {
        source == .colondb ? ["polyp", "specular", "contour"] : ["polyp"]
    }

    static let framesFolders: Set<String> = ["original", "images", "image", "frames"]
    static let maskFolders: Set<String> = ["ground truth", "groundtruth", "ground_truth", "gt", "masks", "mask"]
    static var prefixed: Regex<(Substring, Substring, Substring)> { /^([psc])(\d+)$/ }

    /// A frame → sequence table: (first, last, sequence) rows.
    static func sequences(_ url: URL) throws -> [(first: Int, last: Int, sequence: String)] {
        let rows = NIHMetadata.csvRows(try NIHMetadata.read(url)).filter { !$0.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
        var out = [(first: Int, last: Int, sequence: String)]()
        for (n, row) in rows.enumerated() {
            let f = row.map { $0.trimmingCharacters(in: .whitespaces) }
            if n == 0 && f.first?.lowercased() == "first" { continue }
            guard f.count >= 3, let a = Int(f[0]), let b = Int(f[1]), a <= b, !f[2].isEmpty else {
                throw RecipeError(path: url.path, "row \(n + 1) is not 'first,last,sequence' (frame numbers, first ≤ last)")
            }
            if let clash = out.first(where: { $0.first <= b && a <= $0.last }) {
                throw RecipeError(path: url.path, "row \(n + 1): frames \(a)–\(b) overlap \(clash.first)–\(clash.last) of sequence \(clash.sequence)")
            }
            out.append((a, b, f[2]))
        }
        guard !out.isEmpty else { throw RecipeError(path: url.path, "no rows (first,last,sequence)") }
        return out
    }

    struct Frame {
        var url: URL
        var folder: String
        var number: Int
        var masks: [String: URL] = [:]
    }

    static func listing(recipe: Recipe, input: URL) throws -> Listing {
        var listing = Listing()
        let files = ImageFiles.files(under: Listing.imagesFolder(recipe, input))
        let rel = { (url: URL) in Listing.relative(url, to: input) }
        // Frames by (folder of the frame, number); mask files found beside or in a sibling folder.
        var frames = [String: Frame]()
        var masks = [(key: String, name: String, url: URL)]()
        for url in files {
            let ext = url.pathExtension.lowercased()
            if ["txt", "md", "csv", "json", "xml", "html", "pdf", "xlsx", "xls"].contains(ext) { continue }
            let stem = ImageFiles.stem(of: url)
            let folderURL = url.deletingLastPathComponent()
            let folderName = folderURL.lastPathComponent.lowercased()
            let parent = rel(folderURL.deletingLastPathComponent())
            if maskFolders.contains(folderName), let n = Int(stem) {
                masks.append(("\(parent)|\(n)", "polyp", url))
            } else if let m = stem.wholeMatch(of: prefixed), let n = Int(m.2) {
                let name = ["p": "polyp", "s": "specular", "c": "contour"][String(m.1)]!
                masks.append(("\(rel(folderURL))|\(n)", name, url))
            } else if let n = Int(stem) {
                let key = framesFolders.contains(folderName) ? "\(parent)|\(n)" : "\(rel(folderURL))|\(n)"
                frames[key] = Frame(url: url, folder: framesFolders.contains(folderName) ? parent : rel(folderURL), number: n)
            } else {
                listing.skipped.append((rel(url), "not a numbered frame or mask (<n>, p<n>, s<n>, c<n>; Original/, Ground Truth/)"))
            }
        }
        var orphans = 0, unused = Set<String>()
        for m in masks {
            guard frames[m.key] != nil else { orphans += 1; continue }
            if recipe.masks.contains(m.name) { frames[m.key]!.masks[m.name] = m.url } else { unused.insert(m.name) }
        }

        // Sequences: the table, else every frame alone (loudly).
        let tableName = recipe.metadata["sequences"] ?? "sequences.csv"
        var table: [(first: Int, last: Int, sequence: String)]?
        if let url = Listing.metadataFile(tableName, input: input, files: files) {
            table = try sequences(url)
        } else {
            listing.notes.append("no \(tableName) (first,last,sequence) in the input: every frame is its own patient, so frames of one video may land in different splits and leak between them; supply the table (--sequences FILE) before training on this split")
        }
        let ordered = frames.values.sorted { ($0.folder, $0.number) < ($1.folder, $1.number) }
        var outside = [Int](), noPolyp = 0
        for f in ordered {
            var item = SourceItem(path: rel(f.url))
            item.maskFiles = f.masks.mapValues(rel)
            if recipe.masks.contains("polyp") && f.masks["polyp"] == nil { noPolyp += 1 }
            let sequence = table?.first { $0.first <= f.number && f.number <= $0.last }?.sequence
            if table != nil && sequence == nil { outside.append(f.number) }
            item.patient = sequence.map { "\(f.folder)|sequence \($0)" } ?? "\(f.folder)|frame \(f.number)"
            item.columns = [sequence ?? ""]
            listing.items.append(item)
        }
        if !outside.isEmpty {
            listing.notes.append("\(outside.count) frame(s) are in no sequence of \(tableName) (e.g. \(outside[0])): each is its own patient")
        }
        if noPolyp > 0 { listing.notes.append("\(noPolyp) frame(s) have no polyp mask: their masks are empty") }
        if orphans > 0 { listing.notes.append("\(orphans) mask file(s) have no frame of their number and were not used") }
        if !unused.isEmpty { listing.notes.append("masks not stored (not in the recipe's masks): \(unused.sorted().joined(separator: ", "))") }
        return listing
    }
}

extension ItemProcessor {
    /// One CVC frame and its named masks (nonzero = inside; a mask the frame lacks is empty).
    func cvcImage(_ item: SourceItem, _ url: URL) throws -> SourceImage {
        var options = ReadOptions()
        options.forceGray = recipe.channels == 1
        options.maxBytes = maxBytes
        options.frames = .index(0)
        let image = try ImageFiles.read(url, options: options)
        let pixels = image.pixels.frame(0)
        var out = SourceImage(pixels: pixels, rescale: image.metadata.rescale)
        guard !recipe.masks.isEmpty, !item.maskFiles.isEmpty else { return out }
        var maskOptions = options
        maskOptions.forceGray = true
        out.masks = try recipe.masks.map { name in
            guard let path = item.maskFiles[name] else {
                return Mask(rows: pixels.rows, columns: pixels.columns, values: [UInt8](repeating: 0, count: pixels.rows * pixels.columns))
            }
            let m = try ImageFiles.read(input.appendingPathComponent(path), options: maskOptions).pixels.frame(0)
            guard m.rows == pixels.rows, m.columns == pixels.columns else {
                throw InputError(.corrupt, path: url.path, "its \(name) mask \(path) is \(m.columns)×\(m.rows), the frame \(pixels.columns)×\(pixels.rows)")
            }
            return Mask(rows: m.rows, columns: m.columns, values: m.samples.floats().map { $0 != 0 ? 1 : 0 })
        }
        return out
    }
}
