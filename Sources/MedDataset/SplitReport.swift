import Foundation
import Zarr

/// Per-split counts and the checks that a split is sound.
public struct SplitReport: Sendable {
    public struct Counts: Sendable {
        public var patients = 0
        public var images = 0
        public var tiles = 0
        /// Images per label; in a multi-label source, images per finding (an image with two
        /// findings counts once under each).
        public var labels: [String: Int] = [:]
    }

    public static let splitNames = ["train", "val", "test"]
    public var counts: [String: Counts] = [:]
    public var skipped: [(String, String)] = []
    public var warnings: [String] = []
    public var policy: String = ""
    /// DICOM folders: what each series became (images with their intensity mapping, masks, left out).
    public var series: [SeriesPlan] = []
    /// Labels are findings counted separately (an image may carry several).
    public var multiLabel = false
    /// Patients in two splits that an official split kept (reported, not refused; Kermany).
    public var leakingPatients = 0

    /// The findings of one image's label: the label split at `separator` (trimmed, empty parts
    /// dropped, each finding once), or the label itself when the source has one label per image.
    public static func findings(_ label: String, separator: Character?) -> [String] {
        guard let separator else { return [label] }
        var seen = Set<String>()
        let parts = label.split(separator: separator).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let unique = parts.filter { seen.insert($0).inserted }
        return unique.isEmpty ? [label] : unique
    }

    /// The report as lines a person reads.
    public func lines() -> [String] {
        var out = ["split   patients   images    tiles  " + (multiLabel ? "findings (images with each finding)" : "labels (images)")]
        for name in Self.splitNames {
            let c = counts[name] ?? Counts()
            let labels = c.labels.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            out.append(name.padding(toLength: 6, withPad: " ", startingAt: 0)
                + String(format: "%10d %8d %8d  ", c.patients, c.images, c.tiles) + labels)
        }
        out.append("split policy: \(policy); "
            + (leakingPatients > 0 ? "\(leakingPatients) patient(s) are in two splits (see the warning)" : "no patient is in two splits"))
        out += series.map(\.line)
        if multiLabel { out.append("an image with several findings counts once under each, so the finding counts add up to more than the images") }
        out += warnings.map { "warning: " + $0 }
        return out
    }

    var json: JSONValue {
        .object(Self.splitNames.map { name in
            let c = counts[name] ?? Counts()
            return (name, .object([("patients", .int(c.patients)), ("images", .int(c.images)), ("tiles", .int(c.tiles)),
                                   ("labels", .object(c.labels.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))]))
        })
    }
}


extension SeriesPlan {
    var json: JSONValue {
        var fields: [(String, JSONValue)] = [("series", .int(series)), ("modality", .string(modality)), ("files", .int(files)),
                                             ("first", .string(first))]
        if let stacks { fields.append(("stacks", .string(stacks))) }
        fields.append(("use", .string(use)))
        return .object(fields)
    }

    init?(json: JSONValue) {
        guard let n = json["series"]?.intValue, let modality = json["modality"]?.stringValue, let files = json["files"]?.intValue,
              let first = json["first"]?.stringValue, let use = json["use"]?.stringValue else { return nil }
        self.init(series: n, modality: modality, files: files, first: first, stacks: json["stacks"]?.stringValue, use: use)
    }
}
