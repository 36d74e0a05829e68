import Foundation
import MedIO

/// Lists the Kermany pneumonia chest X-rays (Kermany et al. 2018, Mendeley "ChestXRay2017" and
/// the Kaggle copy): `chest_xray/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg`.
///
/// - Label: `normal` for the NORMAL folder; `bacteria` or `virus` from a PNEUMONIA file's name
///   (`person1_bacteria_1.jpeg`, `person1_virus_6.jpeg`), else `pneumonia`.
/// - Patient: from the name: `person1`, `IM-0115` (`IM-0115-0001.jpeg`), `NORMAL2-IM-1427`
///   (`NORMAL2-IM-1427-0001.jpeg`); a name of another form is its own patient.
/// - Official split: the folder. `val` is kept when the input has one (Kaggle's 16 images);
///   without it (Mendeley) validation is carved by patient from `train`.
/// - The Kaggle archive nests a second copy (`chest_xray/chest_xray/…`): a file whose
///   split/class/name was already listed is skipped as a duplicate.
enum KermanyListing {
    static var personPattern: Regex<(Substring, Substring, Substring)> { /^(person\d+)_(bacteria|virus)_\d+$/ }
    static var normalPattern: Regex<(Substring, Substring)> { /^((?:NORMAL2-)?IM-\d+)-\d+$/ }

    /// (patient, label) of a file in a class folder (`NORMAL` or `PNEUMONIA`); patient nil when
    /// the name has none of the set's forms.
    static func facts(stem: String, pneumonia: Bool) -> (patient: String?, label: String) {
        if let m = stem.wholeMatch(of: personPattern) {
            return (String(m.1), pneumonia ? String(m.2) : "normal")
        }
        let patient = stem.wholeMatch(of: normalPattern).map { String($0.1) }
        return (patient, pneumonia ? "pneumonia" : "normal")
    }

    static func listing(recipe: Recipe, input: URL) -> Listing {
        var listing = Listing()
        let files = ImageFiles.files(under: Listing.imagesFolder(recipe, input))
        let splits = ["train", "val", "test"]
        var relativePaths = [(URL, String, [String])]()
        for url in files {
            let rel = Listing.relative(url, to: input)
            relativePaths.append((url, rel, rel.split(separator: "/").map(String.init)))
        }
        let hasVal = relativePaths.contains { $0.2.dropLast().contains { $0.lowercased() == "val" } }
        var seen = [String: String]()
        var unnamed = 0, documents = 0
        for (url, rel, parts) in relativePaths {
            if ["txt", "md", "csv", "json", "xml", "html", "pdf"].contains(url.pathExtension.lowercased()) {
                documents += 1
                continue
            }
            guard parts.count >= 2, ["NORMAL", "PNEUMONIA"].contains(parts[parts.count - 2].uppercased()) else {
                listing.skipped.append((rel, "not in a NORMAL or PNEUMONIA folder"))
                continue
            }
            let pneumonia = parts[parts.count - 2].uppercased() == "PNEUMONIA"
            let split = parts.dropLast(2).last { splits.contains($0.lowercased()) }?.lowercased()
            let key = "\(split ?? "")/\(pneumonia)/\(parts[parts.count - 1])"
            if let first = seen[key] {
                listing.skipped.append((rel, "duplicate of \(first) (the archive's nested copy)"))
                continue
            }
            seen[key] = rel
            guard (try? ImageFormat.detect(url)) != nil else {
                listing.skipped.append((rel, "not an image format MedSR reads"))
                continue
            }
            let (patient, label) = facts(stem: ImageFiles.stem(of: url), pneumonia: pneumonia)
            var item = SourceItem(path: rel, label: label)
            if patient == nil { unnamed += 1 }
            item.patient = patient ?? (parts.dropLast(2).joined(separator: "/") + "/" + ImageFiles.stem(of: url))
            if recipe.split.policy == .official {
                guard let split else {
                    listing.skipped.append((rel, "not under a train, val or test folder (the official split needs one)"))
                    continue
                }
                item.official = split == "train" && !hasVal ? "trainval" : split
            }
            listing.items.append(item)
        }
        if recipe.split.policy == .official && !hasVal {
            listing.notes.append("no val folder: validation is carved by patient from train")
        }
        if unnamed > 0 { listing.notes.append("\(unnamed) file name(s) name no patient (personN_…, IM-NNNN-…, NORMAL2-IM-NNNN-…): each is its own patient") }
        if documents > 0 { listing.notes.append("\(documents) document file(s) (txt, csv, json, …) ignored") }
        return listing
    }
}
