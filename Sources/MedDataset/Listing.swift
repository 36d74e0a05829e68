public import Foundation
import MedIO

/// The ordered work of a build: every source item, and what was left out of the listing.
public struct Listing: Sendable {
    public var items: [SourceItem] = []
    /// (relative path, reason) for files the listing could not use.
    public var skipped: [(String, String)] = []
    /// One-line facts a person should know (missing files, fold facts).
    public var notes: [String] = []
    /// DICOM folders: what each series became (images and their intensity mapping, masks, left out).
    public var series: [SeriesPlan] = []

    /// A fingerprint of the listing: parts built from another listing are never mixed.
    public var fingerprint: String {
        var text = ""
        for item in items {
            text += "\(item.path)|\(item.slice.map(String.init) ?? "")|\(item.official ?? "")|\(item.fold.map(String.init) ?? "")"
            for s in item.segmentation { text += "|seg \(s.path)#\(s.frame)" }
            if !item.columns.isEmpty { text += "|" + item.columns.joined(separator: ",") }
            if !item.context.isEmpty { text += "|context " + item.context.joined(separator: ",") }
            if !item.maskFiles.isEmpty { text += "|masks \(item.maskFiles.sorted { $0.key < $1.key })" }
            if let l = item.labelVolume { text += "|labels \(l)#\(item.volume ?? 0)" }
            if let c = item.contours { text += "|contours \(c.files.sorted { $0.key.rawValue < $1.key.rawValue }.map(\.value))" }
            text += "\n"
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
        case .sunnybrook: return try SunnybrookListing.listing(recipe: recipe, input: input)
        case .kermany: return KermanyListing.listing(recipe: recipe, input: input)
        case .colondb, .clinicdb: return try CVCListing.listing(recipe: recipe, input: input)
        case .nifti: return NIfTIVolumeListing.listing(recipe: recipe, input: input)
        }
    }

    static func relative(_ url: URL, to root: URL) -> String {
        let base = root.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : url.lastPathComponent
    }

    /// A metadata file the recipe names: an absolute path as it is, else relative to the input,
    /// else the first file of that name anywhere under the input; nil when there is none.
    static func metadataFile(_ name: String, input: URL, files: [URL]) -> URL? {
        let direct = name.hasPrefix("/") ? URL(fileURLWithPath: name) : input.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: direct.path) { return direct }
        if name.hasPrefix("/") { return nil }
        let last = (name as NSString).lastPathComponent.lowercased()
        return files.first { $0.lastPathComponent.lowercased() == last }
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

    /// DICOM folders: every series (by SeriesInstanceUID), slices in order along the normal,
    /// stack by stack. Segmentations (SEG) are never images: their frames become masks of the
    /// slices they were drawn on when that series is in the input (and the recipe stores `seg`
    /// masks), else they are left out with a note.
    static func dicom(recipe: Recipe, input: URL) -> Listing {
        var listing = Listing()
        let (series, skipped) = DICOMSeriesScanner.scan(ImageFiles.files(under: imagesFolder(recipe, input)))
        listing.skipped = skipped.map { (relative(URL(fileURLWithPath: $0.0), to: input), $0.1) }
        let rel = { (path: String) in relative(URL(fileURLWithPath: path), to: input) }
        // Series number (1-based, listing order) of each image series, for the plan lines.
        var number = [String: Int]()
        for s in series { number[s.seriesUID] = number.count + 1 }
        var masks = [String: [Int: [SourceItem.SegmentationFrame]]]()  // series UID → slice index → frames
        var segmentationUse = [String: String]()
        for seg in series where seg.isSegmentation {
            segmentationUse[seg.seriesUID] = attach(seg, among: series, recipe: recipe, number: number,
                                                    rel: rel, masks: &masks, notes: &listing.notes)
        }
        for s in series {
            let n = number[s.seriesUID]!
            var plan = SeriesPlan(series: n, modality: s.modality ?? "?", files: s.files.count, first: rel(s.files[0]),
                                  stacks: s.stackSummary, use: "")
            if s.isSegmentation {
                plan.use = segmentationUse[s.seriesUID] ?? ""
                listing.series.append(plan)
                continue
            }
            let intensity = recipe.intensity.resolved(modality: s.modality, rescaleType: s.rescaleType)
            plan.use = "images, " + intensity.summary
            if recipe.intensity.mode == .window && intensity.mode != .window {
                plan.use += " (the window is in HU, for CT only)"
            }
            listing.series.append(plan)
            let duplicates = Set(s.duplicates)
            var stackStart = [Int]()  // per file: the index of its stack's first file
            for stack in s.stacks { stackStart += Array(repeating: stackStart.count, count: stack.count) }
            for (i, path) in s.files.enumerated() {
                if duplicates.contains(path) {
                    listing.skipped.append((rel(path), "duplicate slice of its series"))
                    continue
                }
                var item = SourceItem(path: rel(path))
                item.slice = i - (i < stackStart.count ? stackStart[i] : 0)
                item.segmentation = masks[s.seriesUID]?[i] ?? []
                listing.items.append(item)
            }
            if !s.gapsAfter.isEmpty { listing.notes.append("a series of \(s.files.count) slices has \(s.gapsAfter.count) gap(s)") }
        }
        return listing
    }

    /// Matches a segmentation's frames to the slices of the series it references (by the source
    /// image's SOP Instance UID, else by position); returns what became of it, in words.
    static func attach(_ seg: DICOMSeries, among series: [DICOMSeries], recipe: Recipe, number: [String: Int],
                       rel: (String) -> String, masks: inout [String: [Int: [SourceItem.SegmentationFrame]]],
                       notes: inout [String]) -> String {
        let images = series.filter { !$0.isSegmentation }
        var target = seg.referencedSeriesUID.flatMap { uid in images.first { $0.seriesUID == uid } }
        if target == nil, seg.referencedSeriesUID == nil, let frame = seg.frameOfReferenceUID {
            let same = images.filter { $0.frameOfReferenceUID == frame }
            if same.count == 1 { target = same[0] }
        }
        let name = "segmentation \(rel(seg.files[0]))"
        guard let target else {
            notes.append("\(name): left out: a segmentation is a mask of the series it references, which is not in the input")
            return "left out: its referenced series is not in the input"
        }
        let targetName = "series \(number[target.seriesUID]!) (\(target.modality ?? "?"))"
        guard recipe.masks.contains("seg") else {
            notes.append("\(name): masks of \(targetName) not stored: the recipe has no seg mask")
            return "masks of \(targetName), not stored (the recipe has no seg mask)"
        }
        var matched = 0, frames = 0
        var slices = Set<Int>()
        for path in seg.files {
            guard let references = try? DICOMSegmentation.frameReferences(path: path) else { continue }
            frames += references.count
            for (f, ref) in references.enumerated() {
                let index = target.instances.firstIndex { i in
                    if let uid = ref.sopInstanceUID { return i.sopInstanceUID == uid }
                    guard let a = ref.positionMM, let b = i.positionMM, a.count == 3, b.count == 3 else { return false }
                    return zip(a, b).allSatisfy { abs($0 - $1) < 0.01 }
                }
                guard let index else { continue }
                matched += 1
                slices.insert(index)
                masks[target.seriesUID, default: [:]][index, default: []].append(.init(path: rel(path), frame: f))
            }
        }
        if matched < frames {
            notes.append("\(name): \(frames - matched) of \(frames) frame(s) match no slice of \(targetName) and are left out")
        }
        return "masks of \(targetName): \(matched) frame(s) on \(slices.count) slice(s)"
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
