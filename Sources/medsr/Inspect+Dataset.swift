import ArgumentParser
import Foundation
import MedDataset
import Zarr

extension Inspect {
    /// Prints a dataset's card and split report.
    func inspectDataset(_ url: URL) throws {
        let dataset = try withCleanError { try Dataset(root: url) }
        if json {
            print(dataset.card.serialized(), terminator: "")
            return
        }
        let c = dataset.card
        func s(_ key: String) -> String { c[key].map { $0.stringValue ?? $0.serialized().trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?" }
        print("\(url.path): MedSR dataset (\(s("format")), written by \(s("tool")))")
        print("  recipe: \(s("recipe")) (source \(s("source")))")
        print("  tiles: \(s("tile"))² \(s("dtype")) × \(s("channels")) channel(s), stride \(s("stride")), LR scales \(dataset.scales.map { "x\($0)" }.joined(separator: ", ")), masks: \(dataset.hasMasks ? (c["mask_names"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? "yes") : "no")")
        if let context = c["context"]?.stringValue { print("  context: \(context)") }
        if let mode = c["intensity"]?["mode"]?.stringValue { print("  intensity: \(mode); \(c["intensity"]?["map"]?.stringValue ?? "")") }
        print("  degradation: \(s("degradation"))")
        print("  split: \(c["split"]?["policy"]?.stringValue ?? "?")")
        let multiLabel = c["label_counts"]?.stringValue?.hasPrefix("images per finding") == true
        print("split   patients   images    tiles  " + (multiLabel ? "findings (images with each finding)" : "labels (images)"))
        for name in SplitReport.splitNames {
            let n = c["counts"]?[name]
            let labels: String
            if case .object(let members)? = n?["labels"] {
                labels = members.map { "\($0.0) \($0.1.intValue ?? 0)" }.joined(separator: ", ")
            } else { labels = "" }
            print(name.padding(toLength: 6, withPad: " ", startingAt: 0)
                + String(format: "%10d %8d %8d  ", n?["patients"]?.intValue ?? 0, n?["images"]?.intValue ?? 0, n?["tiles"]?.intValue ?? 0)
                + labels)
        }
        if multiLabel { print("  an image with several findings counts once under each") }
        for w in c["warnings"]?.arrayValue ?? [] { print("  warning: \(w.stringValue ?? "")") }
        let skipped = c["skipped"]?.arrayValue ?? []
        if !skipped.isEmpty { print("  skipped inputs: \(skipped.count)") }
        for entry in skipped.prefix(20) { print("    \(entry["source"]?.stringValue ?? ""): \(entry["reason"]?.stringValue ?? "")") }
    }
}
