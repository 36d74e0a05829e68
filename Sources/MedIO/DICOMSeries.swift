public import Foundation
import MedImage

/// A DICOM series found in a folder: its files in slice order, with what is odd about it.
public struct DICOMSeries: Sendable, Codable {
    public var seriesUID: String
    public var modality: String?
    public var description: String?
    public var rows: Int?
    public var columns: Int?
    /// Files in slice order (by position along the slice normal; InstanceNumber as fallback).
    public var files: [String]
    /// How the order was decided: `position` or `instance-number` or `file-name`.
    public var orderedBy: String
    /// Files that repeat another's position or SOP Instance UID.
    public var duplicates: [String]
    /// Indices i where the step from slice i to i+1 is more than 1.5 times the median step.
    public var gapsAfter: [Int]
    public var sliceSpacingMM: Double?
}

public enum DICOMSeriesScanner {
    /// Groups DICOM files (others are skipped) by SeriesInstanceUID and orders each series.
    /// Returns the series and the files that were not readable DICOM.
    public static func scan(_ urls: [URL]) -> (series: [DICOMSeries], skipped: [(String, String)]) {
        struct Entry { var path: String; var description: FileDescription; var position: [Double]?; var normal: [Double]?; var sop: String? }
        var groups = [String: [Entry]]()
        var skipped = [(String, String)]()
        for url in urls {
            guard (try? ImageFormat.detect(url)) == .dicom else { continue }
            do {
                let file = try DICOMFile(path: url.path)
                let d = DICOMReader.describe(file, showPHI: false)
                let position = file.numbers(DICOMReader.Tag.position)
                let normal = DICOMReader.geometry(file).sliceNormal
                let sop = file.string(DICOMReader.Tag.sopInstance)
                groups[d.seriesUID ?? "(no SeriesInstanceUID)", default: []].append(
                    Entry(path: url.path, description: d, position: position, normal: normal, sop: sop))
            } catch {
                skipped.append((url.path, error.reason))
            }
        }
        var result = [DICOMSeries]()
        for (uid, entries) in groups.sorted(by: { $0.key < $1.key }) {
            var ordered = entries
            var orderedBy = "file-name"
            var distances: [Double]?
            if let normal = entries.first?.normal, entries.allSatisfy({ $0.position?.count == 3 }) {
                let d = entries.map { e in zip(e.position!, normal).reduce(0) { $0 + $1.0 * $1.1 } }
                let order = d.indices.sorted { d[$0] < d[$1] || (d[$0] == d[$1] && entries[$0].path < entries[$1].path) }
                ordered = order.map { entries[$0] }
                distances = order.map { d[$0] }
                orderedBy = "position"
            } else if entries.allSatisfy({ $0.description.instanceNumber != nil }) {
                ordered = entries.sorted { ($0.description.instanceNumber!, $0.path) < ($1.description.instanceNumber!, $1.path) }
                orderedBy = "instance-number"
            } else {
                ordered = entries.sorted { $0.path < $1.path }
            }
            var duplicates = [String]()
            var seenSOP = Set<String>()
            for (i, e) in ordered.enumerated() {
                if let sop = e.sop, !seenSOP.insert(sop).inserted { duplicates.append(e.path); continue }
                if let d = distances, i > 0, abs(d[i] - d[i - 1]) < 1e-4 { duplicates.append(e.path) }
            }
            var gaps = [Int]()
            var spacing: Double?
            if let d = distances, d.count >= 3 {
                let steps = zip(d.dropFirst(), d).map { $0 - $1 }.filter { $0 > 1e-4 }
                if !steps.isEmpty {
                    let median = steps.sorted()[steps.count / 2]
                    spacing = median
                    for i in 0 ..< d.count - 1 where d[i + 1] - d[i] > 1.5 * median { gaps.append(i) }
                }
            }
            let first = ordered.first?.description
            result.append(DICOMSeries(seriesUID: uid, modality: first?.modality, description: nil,
                                      rows: first?.rows, columns: first?.columns, files: ordered.map(\.path),
                                      orderedBy: orderedBy, duplicates: duplicates, gapsAfter: gaps, sliceSpacingMM: spacing))
        }
        return (result, skipped)
    }
}
