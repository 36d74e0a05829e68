import Foundation
import MedIO

/// Lists Sunnybrook Cardiac Data (the full SCD release and the 2009 challenge folders): the
/// cine short-axis series of every patient folder, image by image, with the expert contours
/// drawn on it and the patient's pathology from `scd_patientdata.csv`.
///
/// - Patient: the patient folder (`SCD0000101`, `SC-HF-I-01`, …): the nearest folder above a
///   file whose name is in the patient table or looks like a Sunnybrook id, else the file's
///   folder. Ids are compared without the zero padding of their last number (`SC-HF-I-01` is
///   `SC-HF-I-1`), and a table's `PatientID` (`SCD0000101`) stands for its `OriginalID`.
/// - The SAX series of a patient: its series with the most slice positions (then the most files).
/// - Slice and phase: from the DICOM (position along the slice normal, else SliceLocation;
///   TriggerTime within the slice, else InstanceNumber), never from the file number.
/// - Contours `IM-0001-NNNN-…`: NNNN is the image number within the SAX series (the `NNNN` of
///   its `IM-SSSS-NNNN.dcm`, else InstanceNumber), whatever the series' own number.
enum SunnybrookListing {
    // Regex values are not Sendable: made on use.
    static var contourPattern: Regex<(Substring, Substring, Substring, Substring)> {
        /^IM-(\d+)-(\d+)-(icontour|ocontour|p1contour|p2contour)-manual\.txt$/
    }
    static var imageNumberPattern: Regex<(Substring, Substring)> { /^IM-\d+-(\d+)\.dcm$/ }
    static var idPattern: Regex<(Substring, Substring, Substring?)> { /^(SC-[A-Z]+(-[A-Z]+)*-\d+|SCD\d+)$/ }

    /// `SC-HF-I-01` → `SC-HF-I-1`: upper case, no zero padding in the last number.
    static func canonical(_ id: String) -> String {
        let up = id.trimmingCharacters(in: .whitespaces).uppercased()
        guard let dash = up.lastIndex(of: "-"), let n = Int(up[up.index(after: dash)...]) else { return up }
        return up[...dash] + String(n)
    }

    struct Table {
        /// Canonical OriginalID → pathology.
        var pathology: [String: String] = [:]
        /// Canonical PatientID (`SCD0000101`) → canonical OriginalID.
        var alias: [String: String] = [:]
    }

    /// `scd_patientdata.csv`: columns found by name (`OriginalID`, `Pathology`, optionally `PatientID`).
    static func table(_ url: URL) throws -> Table {
        let rows = NIHMetadata.csvRows(try NIHMetadata.read(url))
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
              let original = header.firstIndex(of: "originalid"), let pathology = header.firstIndex(of: "pathology") else {
            throw RecipeError(path: url.path, "header lacks 'OriginalID' and 'Pathology'")
        }
        let patient = header.firstIndex(of: "patientid")
        var out = Table()
        for (n, row) in rows.dropFirst().enumerated() {
            guard row.count > max(original, pathology) else {
                throw RecipeError(path: url.path, "row \(n + 2) has \(row.count) fields, fewer than the header's columns")
            }
            let id = canonical(row[original])
            out.pathology[id] = row[pathology].trimmingCharacters(in: .whitespaces)
            if let patient, patient < row.count, !row[patient].trimmingCharacters(in: .whitespaces).isEmpty {
                out.alias[canonical(row[patient])] = id
            }
        }
        return out
    }

    /// The patient of a file: the nearest folder above it that the table knows or that looks
    /// like a Sunnybrook id; else the folder holding it. Returns (canonical id, folder path).
    static func patient(of relativePath: String, table: Table, known: Set<String>) -> (String, String) {
        let parts = relativePath.split(separator: "/").map(String.init).dropLast()
        for i in parts.indices.reversed() {
            let id = canonical(parts[i])
            if let a = table.alias[id] { return (a, parts[...i].joined(separator: "/")) }
            if table.pathology[id] != nil || known.contains(id) || parts[i].uppercased().wholeMatch(of: idPattern) != nil {
                return (id, parts[...i].joined(separator: "/"))
            }
        }
        return (canonical(parts.last ?? ""), parts.joined(separator: "/"))
    }

    static func listing(recipe: Recipe, input: URL) throws -> Listing {
        var listing = Listing()
        let files = ImageFiles.files(under: Listing.imagesFolder(recipe, input))
        let rel = { (url: URL) in Listing.relative(url, to: input) }

        // The patient table: where the recipe says, else found by name anywhere in the input.
        let tableName = recipe.metadata["patients"] ?? "scd_patientdata.csv"
        var tableURL: URL? = input.appendingPathComponent(tableName)
        if !FileManager.default.fileExists(atPath: tableURL!.path) {
            let name = (tableName as NSString).lastPathComponent.lowercased()
            tableURL = files.first { $0.lastPathComponent.lowercased() == name }
        }
        var table = Table()
        if let tableURL { table = try self.table(tableURL) } else {
            listing.notes.append("\(tableName) not found: images have no pathology label")
        }

        // Contours by patient and image number.
        var contours = [String: [Int: SunnybrookContours]]()
        var papillary = 0
        for url in files {
            guard let m = url.lastPathComponent.wholeMatch(of: contourPattern), let number = Int(m.2) else { continue }
            let parts = rel(url).split(separator: "/").map(String.init)
            let owner = parts.firstIndex(of: "contours-manual").flatMap { $0 > 0 ? canonical(parts[$0 - 1]) : nil }
            let id = owner.map { table.alias[$0] ?? $0 } ?? patient(of: rel(url), table: table, known: []).0
            guard let kind = SunnybrookContours.Kind(rawValue: String(m.3)) else { papillary += 1; continue }
            contours[id, default: [:]][number, default: SunnybrookContours()].files[kind] = rel(url)
        }

        // Series, grouped by patient folder.
        let dicoms = files.filter { !$0.lastPathComponent.hasSuffix(".txt") && !$0.lastPathComponent.lowercased().hasSuffix(".csv") }
        let (series, skipped) = DICOMSeriesScanner.scan(dicoms)
        listing.skipped = skipped.map { (rel(URL(fileURLWithPath: $0.0)), $0.1) }
        var byPatient = [String: [DICOMSeries]]()
        var folderOf = [String: String]()
        for s in series where !s.isSegmentation {
            let (id, folder) = patient(of: rel(URL(fileURLWithPath: s.files[0])), table: table, known: Set(contours.keys))
            byPatient[id, default: []].append(s)
            folderOf[id] = folder
        }
        var unmatched = 0, unlabelled = [String]()
        for id in byPatient.keys.sorted(by: { folderOf[$0]! < folderOf[$1]! }) {
            let candidates = byPatient[id]!
            let sax = candidates.max { a, b in
                (slicePositions(a).count, a.files.count, b.seriesUID) < (slicePositions(b).count, b.files.count, a.seriesUID)
            }!
            let others = candidates.filter { $0.seriesUID != sax.seriesUID }
            if !others.isEmpty {
                let files = others.reduce(0) { $0 + $1.files.count }
                listing.notes.append("\(folderOf[id]!): left out \(others.count) series (\(files) image\(files == 1 ? "" : "s")) other than its cine short-axis series (\(sax.files.count) images)")
            }
            let label = table.pathology[id]
            if label == nil && !table.pathology.isEmpty { unlabelled.append(folderOf[id]!) }
            var drawn = contours[id] ?? [:]
            for image in order(sax) {
                var item = SourceItem(path: rel(URL(fileURLWithPath: image.path)), label: label)
                item.patient = id
                if let n = image.number { item.contours = drawn.removeValue(forKey: n) }
                item.columns = [String(image.slice), String(image.phase), image.triggerTimeMS.map(DatasetWriter.number) ?? "",
                                SunnybrookContours.summary(item.contours)]
                if let c = recipe.context {
                    item.context = (-c.radius ... c.radius).map { image.neighbours[c.axis]!($0) }
                        .map { rel(URL(fileURLWithPath: $0)) }
                }
                listing.items.append(item)
            }
            unmatched += drawn.count
            contours[id] = nil
        }
        if unmatched > 0 { listing.notes.append("\(unmatched) contoured image number(s) match no image of their patient's short-axis series") }
        let orphans = contours.values.reduce(0) { $0 + $1.count }
        if orphans > 0 { listing.notes.append("contours of \(contours.count) patient folder(s) (\(orphans) images) have no DICOM series in the input") }
        if !unlabelled.isEmpty { listing.notes.append("not in the patient table (no label): \(unlabelled.joined(separator: ", "))") }
        if papillary > 0 { listing.notes.append("\(papillary) papillary-muscle contour file(s) (p1/p2) are not masks and were not used") }
        return listing
    }

    /// Distinct slice positions of a series (mm along the normal, or SliceLocation), rounded to 0.01 mm.
    static func slicePositions(_ s: DICOMSeries) -> [Double] {
        Array(Set(s.instances.map { slicePosition($0, normal: s.sliceNormal) }.compactMap { $0 })).sorted()
    }

    static func slicePosition(_ i: DICOMSeries.Instance, normal: [Double]?) -> Double? {
        if let p = i.positionMM, p.count == 3, let n = normal, n.count == 3 {
            return (zip(p, n).reduce(0) { $0 + $1.0 * $1.1 } * 100).rounded() / 100
        }
        return i.sliceLocationMM.map { ($0 * 100).rounded() / 100 }
    }

    struct Image {
        var path: String
        var number: Int?
        var slice: Int
        var phase: Int
        var triggerTimeMS: Double?
        /// Path of the neighbour at an offset along each axis.
        var neighbours: [Recipe.Context.Axis: (Int) -> String]
    }

    /// The images of a series with their slice and phase, slice by slice, phase by phase.
    static func order(_ s: DICOMSeries) -> [Image] {
        let duplicates = Set(s.duplicates)
        var entries = [(path: String, instance: DICOMSeries.Instance, position: Double?)]()
        for (path, instance) in zip(s.files, s.instances) where !duplicates.contains(path) {
            entries.append((path, instance, slicePosition(instance, normal: s.sliceNormal)))
        }
        let positions = Array(Set(entries.compactMap(\.position))).sorted()
        var grid = [[(path: String, instance: DICOMSeries.Instance)]](repeating: [], count: max(positions.count, 1))
        for e in entries {
            let slice = e.position.flatMap { positions.firstIndex(of: $0) } ?? 0
            grid[slice].append((e.path, e.instance))
        }
        for k in grid.indices {
            grid[k].sort { a, b in
                (a.instance.triggerTimeMS ?? 0, a.instance.instanceNumber ?? 0, a.path)
                    < (b.instance.triggerTimeMS ?? 0, b.instance.instanceNumber ?? 0, b.path)
            }
        }
        var out = [Image]()
        for (slice, phases) in grid.enumerated() {
            for (phase, e) in phases.enumerated() {
                let name = (e.path as NSString).lastPathComponent
                let number = name.wholeMatch(of: imageNumberPattern).flatMap { Int($0.1) } ?? e.instance.instanceNumber
                let inTime = { (d: Int) in phases[((phase + d) % phases.count + phases.count) % phases.count].path }
                let inSpace = { (d: Int) -> String in
                    let row = grid[min(max(slice + d, 0), grid.count - 1)]
                    return row.isEmpty ? e.path : row[min(phase, row.count - 1)].path
                }
                out.append(Image(path: e.path, number: number, slice: slice, phase: phase,
                                 triggerTimeMS: e.instance.triggerTimeMS, neighbours: [.phases: inTime, .slices: inSpace]))
            }
        }
        return out
    }
}
