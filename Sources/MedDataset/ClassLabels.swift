public import Foundation

/// The classes a classifier learns from a dataset's `tiles.csv`: the `label` column as one
/// class per tile (figshare's meningioma/glioma/pituitary, Kermany's normal/bacteria/virus,
/// Sunnybrook's pathology, polyp present/absent), or NIH ChestX-ray14's findings as several
/// labels per tile (the label split at "|"; `No Finding` is all zero).
public struct ClassLabels: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// One class per tile, softmax and cross-entropy.
        case label
        /// Several findings per tile, one sigmoid and binary cross-entropy each.
        case findings
    }

    /// NIH ChestX-ray14's fourteen findings, in the order of its paper (Wang et al. 2017).
    public static let nihFindings = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
                                     "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia"]

    public let kind: Kind
    /// Class (or finding) names, in output order.
    public let names: [String]

    public init(kind: Kind, names: [String]) {
        self.kind = kind
        self.names = names
    }

    public var isMultiLabel: Bool { kind == .findings }
    public var count: Int { names.count }

    public struct LabelError: Error, CustomStringConvertible, Sendable {
        public var path: String, message: String
        public var description: String { "\(path): labels: \(message)" }
    }

    /// The classes of `dataset`: the sorted distinct values of `label` over every split, or NIH's
    /// fourteen findings (plus any other finding the manifest holds, sorted after them).
    public init(dataset: Dataset, kind: Kind) throws {
        let rows = try dataset.manifest()
        let path = dataset.root.appendingPathComponent("tiles.csv").path
        guard rows.first?["label"] != nil else { throw LabelError(path: path, message: "tiles.csv has no 'label' column") }
        switch kind {
        case .label:
            let values = Set(rows.compactMap { $0["label"] }.filter { !$0.isEmpty })
            guard values.count >= 2 else {
                throw LabelError(path: path, message: "the 'label' column holds \(values.count) distinct value(s); a classifier needs at least 2")
            }
            self.init(kind: kind, names: values.sorted())
        case .findings:
            let found = Set(rows.flatMap { Self.findings($0["label"] ?? "") })
            guard !found.isEmpty else { throw LabelError(path: path, message: "no findings in the 'label' column (is this an NIH dataset?)") }
            self.init(kind: kind, names: Self.nihFindings + found.subtracting(Self.nihFindings).sorted())
        }
    }

    /// The findings of one label ("Effusion|Mass"); none for "No Finding" or empty.
    static func findings(_ label: String) -> [String] {
        label.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "No Finding" }
    }

    /// The class index of a tile's label (single-label), or nil when it is not one of `names`.
    public func index(_ label: String) -> Int? { names.firstIndex(of: label) }

    /// 0/1 per class: one-hot for single-label (all zero for an unknown label), the findings for
    /// multi-label.
    public func targets(_ label: String) -> [Bool] {
        switch kind {
        case .label: return names.map { $0 == label }
        case .findings:
            let f = Set(Self.findings(label))
            return names.map { f.contains($0) }
        }
    }

    /// Labels of the tiles of `split`, in tile index order.
    public static func tileLabels(_ dataset: Dataset, split: String) throws -> (labels: [String], patients: [String]) {
        let rows = try dataset.manifest(split: split).sorted { Int($0["index"] ?? "") ?? 0 < Int($1["index"] ?? "") ?? 0 }
        return (rows.map { $0["label"] ?? "" }, rows.map { $0["patient"] ?? "" })
    }

    /// As model-file metadata: `labels` (the kind) and `class_names` (a JSON array).
    public var metadata: [String: String] {
        let json = (try? JSONSerialization.data(withJSONObject: names)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
        return ["labels": kind.rawValue, "class_names": json]
    }

    /// Reads `metadata` back; nil when a model file has none.
    public init?(metadata m: [String: String]) {
        guard let k = m["labels"].flatMap(Kind.init(rawValue:)), let data = m["class_names"]?.data(using: .utf8),
              let names = try? JSONSerialization.jsonObject(with: data) as? [String] else { return nil }
        self.init(kind: k, names: names)
    }
}
