public import Foundation
import MedImage

/// A DICOM series found in a folder: its files in slice order, with what is odd about it.
public struct DICOMSeries: Sendable, Codable {
    public var seriesUID: String
    public var modality: String?
    public var description: String?
    public var rows: Int?
    public var columns: Int?
    /// Files in order: stack by stack (see `stacks`), each stack in slice order (by position
    /// along the slice normal; InstanceNumber as fallback).
    public var files: [String]
    /// How the order was decided: `position` or `instance-number` or `file-name`.
    public var orderedBy: String
    /// Stacks of one series (DWI b-values, echoes, cardiac phases, temporal positions), in the
    /// order of `files`; one stack with an empty name for an ordinary series.
    public var stacks: [Stack]
    /// Files that repeat another's position within their stack, or its SOP Instance UID.
    public var duplicates: [String]
    /// Indices i (into `files`) where the step from slice i to i+1 of the same stack is more
    /// than 1.5 times the median step.
    public var gapsAfter: [Int]
    public var sliceSpacingMM: Double?
    /// Rescale Type (0028,1054) of the first file, when it has one (`HU`, `US`, …).
    public var rescaleType: String?
    /// A DICOM Segmentation: masks of another series, not images.
    public var isSegmentation: Bool
    /// A segmentation's referenced series (Referenced Series Sequence), when it names one.
    public var referencedSeriesUID: String?
    public var frameOfReferenceUID: String?
    /// Each file's SOP Instance UID and position (same order as `files`), for matching
    /// segmentation frames to slices. Not encoded.
    public var instances: [Instance] = []

    public struct Stack: Sendable, Codable, Equatable {
        /// What sets this stack apart, e.g. `b-value 1000`, `echo 2`; empty for a lone stack.
        public var name: String
        public var count: Int

        public init(name: String, count: Int) {
            self.name = name
            self.count = count
        }
    }

    public struct Instance: Sendable, Equatable {
        public var sopInstanceUID: String?
        public var positionMM: [Double]?
        /// Trigger Time (0018,1060): the cardiac phase of a cine image, in ms after the R wave.
        public var triggerTimeMS: Double?
        /// Slice Location (0020,1041), for files without Image Position (Patient).
        public var sliceLocationMM: Double?
        public var instanceNumber: Int?
    }

    /// The slice normal of the series' first file (row × column direction), when known. Not encoded.
    public var sliceNormal: [Double]?

    enum CodingKeys: String, CodingKey {
        case seriesUID, modality, description, rows, columns, files, orderedBy, stacks, duplicates, gapsAfter,
             sliceSpacingMM, rescaleType, isSegmentation, referencedSeriesUID, frameOfReferenceUID
    }

    /// "2 stacks (b-value 0, 1000) of 3 slices", or nil for a series with one stack.
    public var stackSummary: String? {
        guard stacks.count > 1 else { return nil }
        let counts = Set(stacks.map(\.count))
        let of = counts.count == 1 ? "of \(counts.first!) slice\(counts.first! == 1 ? "" : "s")" : "of \(stacks.map { String($0.count) }.joined(separator: "/")) slices"
        return "\(stacks.count) stacks (\(StackKey.listing(stacks.map(\.name)))) \(of)"
    }
}

/// What puts a file of a series into one stack: the attributes that vary between the stacks
/// of one series while positions repeat.
struct StackKey: Hashable, Comparable {
    /// (name, value) pairs in a fixed order; absent attributes are left out.
    var parts: [Part]

    struct Part: Hashable {
        var name: String
        var value: Double
    }

    static func < (a: StackKey, b: StackKey) -> Bool {
        for (x, y) in zip(a.parts, b.parts) where x != y {
            return x.name != y.name ? x.name < y.name : x.value < y.value
        }
        return a.parts.count < b.parts.count
    }

    /// The attributes, standard first, then the common private b-value tags (read only when
    /// their private creator says whose they are).
    static func read(_ file: borrowing DICOMFile) -> StackKey {
        var parts = [Part]()
        // Private elements read without a private dictionary are raw bytes: Siemens' B_value is
        // IS (ASCII digits), Philips' is FL (a little-endian float).
        var bValue = file.number("0018,9087") ?? file.number("0018,9117/0/0018,9087")
        if bValue == nil, file.string("0019,0010") == "SIEMENS MR HEADER" {
            bValue = file.number("0019,100C") ?? file.bytes("0019,100C").flatMap {
                Double(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespaces.union(["\0"])))
            }
        }
        if bValue == nil, file.string("2001,0010") == "Philips Imaging DD 001" {
            bValue = file.number("2001,1003") ?? file.bytes("2001,1003").flatMap { b in
                b.count == 4 ? Double(Float(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)) : nil
            }
        }
        if let bValue { parts.append(Part(name: "b-value", value: bValue)) }
        if let echo = file.number("0018,0086") { parts.append(Part(name: "echo", value: echo)) }
        if let t = file.number("0020,0100") { parts.append(Part(name: "temporal position", value: t)) }
        if let t = file.number("0018,1060") { parts.append(Part(name: "trigger time", value: t)) }
        return StackKey(parts: parts)
    }

    /// The name of this stack given the attributes that differ between stacks.
    func name(varying: Set<String>) -> String {
        parts.filter { varying.contains($0.name) }.map { "\($0.name) \(DICOMSeriesScanner.number($0.value))" }
            .joined(separator: ", ")
    }

    /// "b-value 0, 1000" from ["b-value 0", "b-value 1000"] (one attribute), else the names as they are.
    static func listing(_ names: [String]) -> String {
        let split = names.map { n -> (String, String)? in
            guard !n.contains(","), let space = n.lastIndex(of: " ") else { return nil }
            return (String(n[..<space]), String(n[n.index(after: space)...]))
        }
        if split.allSatisfy({ $0 != nil }), Set(split.map { $0!.0 }).count == 1 {
            return "\(split[0]!.0) " + split.map { $0!.1 }.joined(separator: ", ")
        }
        return names.joined(separator: "; ")
    }
}

/// One DICOM file as the scanner sees it.
private struct ScannedFile {
    var path: String
    var description: FileDescription
    var position: [Double]?
    var normal: [Double]?
    var sop: String?
    var stack: StackKey
    var isSegmentation: Bool
    var referencedSeries: String?
    var frameOfReference: String?
    var rescaleType: String?
    var sliceLocation: Double?
}

public enum DICOMSeriesScanner {
    static let segmentationClass = "1.2.840.10008.5.1.4.1.1.66.4"

    /// Groups DICOM files (others are skipped) by SeriesInstanceUID and orders each series,
    /// stack by stack. Returns the series and the files that were not readable DICOM.
    public static func scan(_ urls: [URL]) -> (series: [DICOMSeries], skipped: [(String, String)]) {
        typealias Entry = ScannedFile
        var groups = [String: [Entry]]()
        var skipped = [(String, String)]()
        for url in urls {
            guard (try? ImageFormat.detect(url)) == .dicom else { continue }
            do {
                let file = try DICOMFile(path: url.path)
                let d = DICOMReader.describe(file, showPHI: false)
                let geometry = DICOMReader.geometry(file)
                let isSegmentation = file.string(DICOMReader.Tag.sopClass) == segmentationClass || d.modality == "SEG"
                groups[d.seriesUID ?? "(no SeriesInstanceUID)", default: []].append(
                    Entry(path: url.path, description: d, position: geometry.imagePositionMM, normal: geometry.sliceNormal,
                          sop: file.string(DICOMReader.Tag.sopInstance), stack: StackKey.read(file),
                          isSegmentation: isSegmentation, referencedSeries: file.string("0008,1115/0/0020,000E"),
                          frameOfReference: file.string("0020,0052"),
                          rescaleType: file.string(DICOMReader.Tag.rescaleType), sliceLocation: file.number("0020,1041")))
            } catch {
                skipped.append((url.path, error.reason))
            }
        }
        var result = [DICOMSeries]()
        for (uid, entries) in groups.sorted(by: { $0.key < $1.key }) {
            // An attribute makes stacks when files at one position differ in it (a trigger time
            // that changes from slice to slice of a gated series does not). Without positions,
            // when each of its values is shared by several files.
            var varying = Set<String>()
            let names = Set(entries.flatMap { $0.stack.parts.map(\.name) })
            for name in names {
                let value = { (e: Entry) in e.stack.parts.first { $0.name == name }?.value }
                if entries.allSatisfy({ $0.position?.count == 3 }) {
                    var atPosition = [[Double]: Set<Double?>]()
                    for e in entries { atPosition[e.position!.map { ($0 * 1000).rounded() }, default: []].insert(value(e)) }
                    if atPosition.values.contains(where: { $0.count > 1 }) { varying.insert(name) }
                } else {
                    var counts = [Double?: Int]()
                    for e in entries { counts[value(e), default: 0] += 1 }
                    if counts.count > 1 && counts.values.allSatisfy({ $0 > 1 }) { varying.insert(name) }
                }
            }
            let stackOf = { (e: Entry) in StackKey(parts: e.stack.parts.filter { varying.contains($0.name) }) }
            var byStack = [StackKey: [Entry]]()
            for e in entries { byStack[stackOf(e), default: []].append(e) }
            let stackKeys = byStack.keys.sorted()
            var ordered = [Entry]()
            var stacks = [DICOMSeries.Stack]()
            var distances: [Double?] = []
            var orderedBy = "file-name"
            var stackStart = [Int]()
            for key in stackKeys {
                let (o, d, how) = order(byStack[key]!, normal: entries.first?.normal)
                stackStart.append(ordered.count)
                ordered += o
                distances += d.map { $0.map(Optional.some) } ?? Array(repeating: nil, count: o.count)
                orderedBy = how
                stacks.append(.init(name: key.name(varying: varying), count: o.count))
            }
            // Duplicates: a repeated SOP Instance UID anywhere, a repeated position within a stack.
            var duplicates = [String]()
            var seenSOP = Set<String>()
            let starts = Set(stackStart)
            for (i, e) in ordered.enumerated() {
                if let sop = e.sop, !seenSOP.insert(sop).inserted { duplicates.append(e.path); continue }
                if i > 0, !starts.contains(i), let a = distances[i], let b = distances[i - 1], abs(a - b) < 1e-4 {
                    duplicates.append(e.path)
                }
            }
            var gaps = [Int]()
            var spacing: Double?
            var steps = [Double]()
            for i in 1 ..< max(ordered.count, 1) where !starts.contains(i) {
                if let a = distances[i], let b = distances[i - 1], a - b > 1e-4 { steps.append(a - b) }
            }
            if !steps.isEmpty, ordered.count / max(stacks.count, 1) >= 3 {
                let median = steps.sorted()[steps.count / 2]
                spacing = median
                for i in 1 ..< ordered.count where !starts.contains(i) {
                    if let a = distances[i], let b = distances[i - 1], a - b > 1.5 * median { gaps.append(i - 1) }
                }
            }
            let first = ordered.first
            result.append(DICOMSeries(
                seriesUID: uid, modality: first?.description.modality, description: nil,
                rows: first?.description.rows, columns: first?.description.columns, files: ordered.map(\.path),
                orderedBy: orderedBy, stacks: stacks, duplicates: duplicates, gapsAfter: gaps, sliceSpacingMM: spacing,
                rescaleType: first?.rescaleType, isSegmentation: entries.contains { $0.isSegmentation },
                referencedSeriesUID: first?.referencedSeries, frameOfReferenceUID: first?.frameOfReference,
                instances: ordered.map { e in
                    .init(sopInstanceUID: e.sop, positionMM: e.position,
                          triggerTimeMS: e.stack.parts.first { $0.name == "trigger time" }?.value,
                          sliceLocationMM: e.sliceLocation, instanceNumber: e.description.instanceNumber)
                }, sliceNormal: first?.normal))
        }
        return (result, skipped)
    }

    /// One stack in slice order, with each slice's distance along the normal when positions are known.
    private static func order(_ entries: [ScannedFile], normal: [Double]?) -> ([ScannedFile], [Double]?, String) {
        if let normal, entries.allSatisfy({ $0.position?.count == 3 }) {
            let d = entries.map { e in zip(e.position!, normal).reduce(0) { $0 + $1.0 * $1.1 } }
            let order = d.indices.sorted { d[$0] < d[$1] || (d[$0] == d[$1] && entries[$0].path < entries[$1].path) }
            return (order.map { entries[$0] }, order.map { d[$0] }, "position")
        }
        if entries.allSatisfy({ $0.description.instanceNumber != nil }) {
            return (entries.sorted { ($0.description.instanceNumber!, $0.path) < ($1.description.instanceNumber!, $1.path) },
                    nil, "instance-number")
        }
        return (entries.sorted { $0.path < $1.path }, nil, "file-name")
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }
}
