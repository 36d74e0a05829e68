import Foundation
import MedIO

/// NIH ChestX-ray14's metadata: `Data_Entry_2017.csv` (original, trailing comma, ages like
/// `058Y`) or `Data_Entry_2017_v2020.csv` (no trailing comma), `BBox_List_2017.csv` (9 header
/// fields, 6 per row), `train_val_list.txt`, `test_list.txt`. Rows are keyed by `Image Index`.
enum NIHMetadata {
    struct Entry {
        var labels: String
        var patient: String
    }

    /// Parses CSV text (RFC 4180 quoting; CRLF or LF) into rows of fields.
    static func csvRows(_ text: String) -> [[String]] {
        var rows = [[String]]()
        var field = "", row = [String]()
        var quoted = false, afterQuote = false
        var chars = text.unicodeScalars.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" { quoted = false; afterQuote = true } else { field.unicodeScalars.append(c) }
                continue
            }
            switch c {
            case "\"":
                if afterQuote { field.append("\"") }
                quoted = true
                afterQuote = false
            case ",":
                row.append(field); field = ""; afterQuote = false
            case "\n":
                row.append(field); field = ""; afterQuote = false
                if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
                row = []
            case "\r": continue
            default:
                field.unicodeScalars.append(c)
                afterQuote = false
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    static func read(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RecipeError(path: url.path, "NIH metadata file missing or unreadable")
        }
        guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw RecipeError(path: url.path, "not text")
        }
        return text
    }

    /// Entries by image name, from either published version of the CSV.
    static func entries(_ url: URL) throws -> [String: Entry] {
        let rows = csvRows(try read(url))
        guard let header = rows.first else { throw RecipeError(path: url.path, "empty CSV") }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let image = names.firstIndex(of: "Image Index"), let labels = names.firstIndex(of: "Finding Labels"),
              let patient = names.firstIndex(of: "Patient ID") else {
            throw RecipeError(path: url.path, "header lacks 'Image Index', 'Finding Labels' or 'Patient ID'")
        }
        var out = [String: Entry]()
        for (n, row) in rows.dropFirst().enumerated() {
            guard row.count > max(image, labels, patient) else {
                throw RecipeError(path: url.path, "row \(n + 2) has \(row.count) fields, fewer than the header's columns")
            }
            out[row[image].trimmingCharacters(in: .whitespaces)] = Entry(
                labels: row[labels].trimmingCharacters(in: .whitespaces),
                patient: row[patient].trimmingCharacters(in: .whitespaces))
        }
        return out
    }

    /// Boxes by image name (`x, y, w, h` in 1024-pixel space).
    static func boxes(_ url: URL) throws -> [String: [[Double]]] {
        let rows = csvRows(try read(url))
        var out = [String: [[Double]]]()
        for (n, row) in rows.dropFirst().enumerated() {
            let numbers = row.count >= 6 ? row[2 ..< 6].compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } : []
            guard numbers.count == 4, numbers.allSatisfy({ $0.isFinite }), numbers[2] > 0, numbers[3] > 0 else {
                throw RecipeError(path: url.path, "row \(n + 2) is not 'image,label,x,y,w,h'")
            }
            out[row[0].trimmingCharacters(in: .whitespaces), default: []].append(numbers)
        }
        return out
    }

    static func list(_ url: URL) throws -> Set<String> {
        Set(try read(url).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    static func listing(recipe: Recipe, input: URL) throws -> Listing {
        var listing = Listing()
        let entriesName = recipe.metadata["entries"] ?? "Data_Entry_2017.csv"
        var entriesURL = input.appendingPathComponent(entriesName)
        if !FileManager.default.fileExists(atPath: entriesURL.path) {
            let v2020 = input.appendingPathComponent("Data_Entry_2017_v2020.csv")
            if FileManager.default.fileExists(atPath: v2020.path) { entriesURL = v2020 }
        }
        let entries = try entries(entriesURL)
        var boxes = [String: [[Double]]]()
        if recipe.masks.contains("boxes"), let name = recipe.metadata["boxes"] {
            let url = input.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { boxes = try self.boxes(url) } else {
                listing.notes.append("\(name) is missing: no box masks")
            }
        }
        var test = Set<String>(), trainVal = Set<String>()
        if recipe.split.policy == .official {
            let t = input.appendingPathComponent(recipe.metadata["test"] ?? "test_list.txt")
            let tv = input.appendingPathComponent(recipe.metadata["trainVal"] ?? "train_val_list.txt")
            for url in [t, tv] where !FileManager.default.fileExists(atPath: url.path) {
                throw RecipeError(path: url.path, "the official split needs this list; add it, or split by patient with --split-policy patient")
            }
            test = try list(t)
            trainVal = try list(tv)
            let both = test.intersection(trainVal)
            if !both.isEmpty {
                throw RecipeError(path: t.path, "\(both.count) images are in both the test and train/val lists")
            }
        }
        let folder = Listing.imagesFolder(recipe, input)
        var missing = 0
        for file in ImageFiles.files(under: folder) {
            let name = file.lastPathComponent
            guard let entry = entries[name] else {
                listing.skipped.append((Listing.relative(file, to: input), "not listed in \(entriesURL.lastPathComponent)"))
                continue
            }
            var item = SourceItem(path: Listing.relative(file, to: input), label: entry.labels)
            item.patient = entry.patient
            item.boxes = boxes[name] ?? []
            if recipe.split.policy == .official {
                if test.contains(name) { item.official = "test" } else if trainVal.contains(name) { item.official = "trainval" } else {
                    listing.skipped.append((item.path, "in neither the train/val nor the test list"))
                    continue
                }
            }
            listing.items.append(item)
        }
        missing = entries.count - listing.items.count - listing.skipped.filter { $0.1.hasPrefix("in neither") }.count
        if missing > 0 { listing.notes.append("\(missing) images listed in \(entriesURL.lastPathComponent) are not in \(recipe.images.isEmpty ? "the input" : recipe.images + "/")") }
        return listing
    }
}
