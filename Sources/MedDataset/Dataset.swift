public import Foundation
public import Zarr

/// A built dataset opened for reading: the card, the manifest and the tile arrays.
public struct Dataset: Sendable {
    public let root: URL
    public let store: FileStore
    /// `attributes.medsr` of the root group.
    public let card: JSONValue

    public init(root: URL) throws {
        self.root = root
        store = FileStore(root: root)
        let json = try store.metadata("")
        guard json["node_type"]?.stringValue == "group", let card = json["attributes"]?["medsr"] else {
            throw StoreError(path: root.path, "not a MedSR dataset (the root group has no medsr card)")
        }
        self.card = card
    }

    /// True when `url` holds a dataset's root `zarr.json`.
    public static func isDataset(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent("zarr.json").path)
    }

    public var scales: [Int] { card["scales"]?.arrayValue?.compactMap(\.intValue) ?? [] }
    public var hasMasks: Bool { card["masks"] == .bool(true) }

    /// The arrays of one split: `hr`, `lr_x{s}`, `mask`.
    public func array(_ split: String, _ name: String) throws -> TileArrayReader {
        try TileArrayReader(store: store, path: "\(split)/\(name)")
    }

    /// Manifest rows of one split (header fields as keys), in index order.
    public func manifest(split: String? = nil) throws -> [[String: String]] {
        guard let bytes = store.get("tiles.csv"), let text = String(bytes: bytes, encoding: .utf8) else {
            throw StoreError(path: store.url("tiles.csv").path, "missing or not text")
        }
        let rows = NIHMetadata.csvRows(text)
        guard let header = rows.first else { return [] }
        return rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
            .filter { split == nil || $0["split"] == split }
    }
}

public import MedImage

extension Dataset {
    /// Tile `index` of `split/array` as an interleaved image (`rows × columns × channels`).
    public func tilePixels(_ reader: TileArrayReader, _ index: Int) throws -> PixelArray {
        let raw = try reader.tile(index)
        let shape = reader.tileShape
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let plane = h * w
        func interleave<T: FixedWidthInteger>(_: T.Type) -> [T] {
            let values: [T] = raw.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }.map { T(littleEndian: $0) }
            if c == 1 { return values }
            var out = [T](repeating: 0, count: values.count)
            for i in 0 ..< plane { for k in 0 ..< c { out[i * c + k] = values[k * plane + i] } }
            return out
        }
        let samples: Samples
        switch reader.metadata.dataType {
        case .uint8: samples = .uint8(interleave(UInt8.self))
        case .uint16: samples = .uint16(interleave(UInt16.self))
        case .int16: samples = .int16(interleave(Int16.self))
        case .float32:
            throw StoreError(path: store.url(reader.path).path, "float tiles cannot be exported as images")
        }
        return PixelArray(rows: h, columns: w, samplesPerPixel: c, samples: samples)
    }
}
