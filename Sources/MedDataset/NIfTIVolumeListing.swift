import Foundation
import MedImage
import MedIO

/// Lists NIfTI volumes with label maps, one item per image volume (its slices are the images):
///
/// - BraTS: one folder per case, `<case>_{t1,t1ce,t2,flair}.nii.gz` and the label map
///   `<case>_seg.nii.gz` (BraTS 2023: `<case>-{t1n,t1c,t2w,t2f}.nii.gz`, `<case>-seg.nii.gz`);
///   the modality is the suffix.
/// - Medical Segmentation Decathlon / nnU-Net: `imagesTr/<case>.nii.gz` (nnU-Net:
///   `<case>_0000.nii.gz`, one file per channel) with `labelsTr/<case>.nii.gz`; `imagesTs`
///   volumes have no labels. A 4-D image (MSD's BrainTumour) is one item per volume, the
///   modality its index.
/// - Otherwise a folder's one label map (`*_seg`, or the only file in a `labels…` folder)
///   labels the other volumes of that folder.
///
/// The case is the patient: the BraTS prefix, the MSD/nnU-Net case name, else the folder.
enum NIfTIVolumeListing {
    static var channelSuffix: Regex<(Substring, Substring, Substring)> { /^(.+)_(\d{4})$/ }

    /// A label map: `<case>_seg` (BraTS 2018–2021), `<case>-seg` (BraTS 2023), or a file in a
    /// `labels…` folder (MSD, nnU-Net).
    static func isLabel(_ url: URL) -> Bool {
        let stem = ImageFiles.stem(of: url).lowercased()
        return stem.hasSuffix("_seg") || stem.hasSuffix("-seg")
            || url.deletingLastPathComponent().lastPathComponent.lowercased().hasPrefix("labels")
    }

    static func listing(recipe: Recipe, input: URL) -> Listing {
        var listing = Listing()
        let rel = { (url: URL) in Listing.relative(url, to: input) }
        var images = [URL](), labels = [URL]()
        let all = ImageFiles.files(under: Listing.imagesFolder(recipe, input))
        let headers = Set(all.filter { $0.pathExtension.lowercased() == "hdr" }.map { $0.deletingPathExtension().path })
        for url in all {
            let lower = url.lastPathComponent.lowercased()
            if ["txt", "md", "csv", "json", "xml", "html", "pdf"].contains(url.pathExtension.lowercased()) { continue }
            if (lower.hasSuffix(".img") || lower.hasSuffix(".img.gz")), headers.contains(url.deletingPathExtension().path) { continue }
            guard (try? ImageFormat.detect(url)) == .nifti else {
                listing.skipped.append((rel(url), "not a NIfTI volume"))
                continue
            }
            (isLabel(url) ? { labels.append(url) } : { images.append(url) })()
        }
        let labelByPath = Dictionary(labels.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var labelsInFolder = [String: [URL]]()
        for l in labels { labelsInFolder[l.deletingLastPathComponent().path, default: []].append(l) }
        var used = Set<String>(), unlabelled = 0
        for url in images {
            let folder = url.deletingLastPathComponent()
            let folderName = folder.lastPathComponent
            let stem = ImageFiles.stem(of: url)
            var label: URL?, modality = "", patient: String
            if folderName.lowercased().hasPrefix("images") {
                // MSD / nnU-Net: labels<X>/<case>.nii.gz beside images<X>/.
                let channel = stem.wholeMatch(of: channelSuffix)
                let caseName = channel.map { String($0.1) } ?? stem
                modality = channel.map { String($0.2) } ?? ""
                let labelsFolder = folder.deletingLastPathComponent().appendingPathComponent("labels" + folderName.dropFirst("images".count))
                let name = url.lastPathComponent.replacingOccurrences(of: stem, with: caseName)
                label = labelByPath[labelsFolder.appendingPathComponent(name).path]
                patient = caseName
            } else if let seg = (labelsInFolder[folder.path] ?? []).first(where: { stem.lowercased().hasPrefix(String(ImageFiles.stem(of: $0).dropLast(3)).lowercased()) }) {
                // BraTS: <case>_seg beside <case>_<modality>.
                let prefix = String(ImageFiles.stem(of: seg).dropLast(4))
                label = seg
                modality = String(stem.dropFirst(prefix.count + 1))
                patient = prefix
            } else {
                let here = labelsInFolder[folder.path] ?? []
                label = here.count == 1 ? here[0] : nil
                let parts = rel(url).split(separator: "/")
                patient = parts.count > 1 ? parts.dropLast().joined(separator: "/") : stem
            }
            if let label { used.insert(label.path) } else { unlabelled += 1 }
            // 4-D images: one item per volume.
            let volumes = (try? NIfTIReader.describe(path: url.path))?.volume?.volumes ?? 1
            for v in 0 ..< max(volumes, 1) {
                var item = SourceItem(path: rel(url))
                item.patient = patient
                item.labelVolume = label.map(rel)
                item.volume = volumes > 1 ? v : nil
                item.columns = [volumes > 1 ? (modality.isEmpty ? String(v) : "\(modality)/\(v)") : modality]
                listing.items.append(item)
            }
        }
        let orphans = labels.filter { !used.contains($0.path) }
        if !orphans.isEmpty { listing.notes.append("\(orphans.count) label map(s) match no image volume (e.g. \(rel(orphans[0])))") }
        if unlabelled > 0 { listing.notes.append("\(unlabelled) image volume(s) have no label map: their slices have empty masks") }
        return listing
    }
}

extension ItemProcessor {
    /// The slices of one NIfTI volume along the recipe's axis, one window for the whole volume,
    /// and the masks of each slice from the label map (a mask is the union of its label values).
    func niftiSlices(_ item: SourceItem, _ url: URL) throws -> [SourceImage] {
        var options = ReadOptions()
        options.maxBytes = maxBytes
        options.forceGray = true
        options.axis = recipe.axis
        options.volume = item.volume ?? 0
        let volume = try NIfTIReader.read(path: url.path, options: options)
        let pixels = volume.pixels
        var labels: [Float]?
        if let path = item.labelVolume, !recipe.masks.isEmpty {
            var labelOptions = options
            labelOptions.volume = 0
            let map = try NIfTIReader.read(path: input.appendingPathComponent(path).path, options: labelOptions).pixels
            guard map.frames == pixels.frames, map.rows == pixels.rows, map.columns == pixels.columns else {
                throw InputError(.corrupt, path: url.path, "its label map \(path) has \(map.frames) slices of \(map.columns)×\(map.rows), the volume \(pixels.frames) of \(pixels.columns)×\(pixels.rows)")
            }
            labels = map.samples.floats()
        }
        // One window for the volume, so its slices compare (a slice alone has too few values).
        let intensity = recipe.intensity.resolved(modality: nil, rescaleType: nil)
        var window: IntensityWindow?
        if intensity.mode != .identity && intensity.mode != .auto {
            var spec = intensity
            if spec.mode == .auto { spec.mode = .percentile }
            let values = IntensityMapping.modalityValues(pixels, rescale: volume.metadata.rescale).samples.floats()
            window = IntensityWindow.choose(spec, values: values, type: volume.metadata.rescale.isIdentity ? pixels.sampleType : .float32)
        }
        let plane = pixels.rows * pixels.columns
        let sets = recipe.masks.map { Set(recipe.labels?[$0] ?? []) }
        return (0 ..< pixels.frames).map { k in
            var image = SourceImage(pixels: pixels.frame(k), rescale: volume.metadata.rescale, frame: k)
            image.window = window
            if let labels {
                image.masks = sets.map { set in
                    Mask(rows: pixels.rows, columns: pixels.columns,
                         values: labels[k * plane ..< (k + 1) * plane].map { abs($0) < 1e9 && set.contains(Int($0.rounded())) ? 1 : 0 })
                }
            }
            return image
        }
    }
}
