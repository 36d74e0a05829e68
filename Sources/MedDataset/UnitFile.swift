import Foundation
import Zarr

/// The finished work of one unit (a few source items), kept until the dataset is assembled:
/// `MSRUNIT1`, the header length (UInt64 LE), a JSON header, then the encoded chunks.
/// Written atomically, so a unit file that exists is complete.
enum UnitFile {
    static let magic = Array("MSRUNIT1".utf8)

    /// - Parameter chunks: false for a header-only journal entry (the chunks went into shards).
    static func encode(unit: Int, results: [ItemResult], chunks includeChunks: Bool = true) -> [UInt8] {
        var blobs = [UInt8]()
        var items = [JSONValue]()
        for r in results {
            var members: [(String, JSONValue)] = [("path", .string(r.path))]
            if let e = r.error { members.append(("error", .string(e))) }
            if let p = r.patient { members.append(("patient", .string(p))) }
            if let k = r.splitKey { members.append(("splitKey", .string(String(k, radix: 16)))) }
            if let o = r.official { members.append(("official", .string(o))) }
            if let f = r.fold { members.append(("fold", .int(f))) }
            if let l = r.label { members.append(("label", .string(l))) }
            if let s = r.slice { members.append(("slice", .int(s))) }
            if !r.columns.isEmpty { members.append(("columns", .array(r.columns.map { .string($0) }))) }
            members.append(("images", .int(r.images)))
            var tiles = [JSONValue]()
            for t in r.tiles {
                var ranges = [JSONValue]()
                for chunk in t.chunks where includeChunks {
                    ranges.append(.array([.int(blobs.count), .int(chunk.count)]))
                    blobs.append(contentsOf: chunk)
                }
                var tm: [(String, JSONValue)] = [("x", .int(t.x)), ("y", .int(t.y))]
                if let f = t.frame { tm.append(("frame", .int(f))) }
                if let l = t.level { tm.append(("level", .int(l))) }
                tm += [("maskFraction", .double(t.maskFraction)), ("lo", .double(t.window.lo)), ("hi", .double(t.window.hi)),
                       ("hasMask", .bool(t.hasMask)), ("chunks", .array(ranges))]
                tiles.append(.object(tm))
            }
            members.append(("tiles", .array(tiles)))
            items.append(.object(members))
        }
        let header = Array(JSONValue.object([("unit", .int(unit)), ("items", .array(items))]).serialized().utf8)
        var out = magic
        out.reserveCapacity(16 + header.count + blobs.count)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        out.append(contentsOf: blobs)
        return out
    }

    /// A unit read back: its items, and where their chunks are in `bytes`.
    struct Decoded {
        var items: [StoredItem]
        var bytes: [UInt8]
        var blobStart: Int

        func chunk(_ range: Range<Int>) -> [UInt8] { Array(bytes[blobStart + range.lowerBound ..< blobStart + range.upperBound]) }

        /// Chunk `c` of tile `t` of `item`.
        func chunk(_ item: StoredItem, _ t: Int, _ c: Int) -> [UInt8] { chunk(item.tiles[t].chunks[c]) }
    }

    struct StoredTile {
        var x: Int, y: Int, frame: Int?, level: Int?
        var maskFraction: Double, lo: Double, hi: Double
        var hasMask: Bool
        /// Where the chunks are in the unit file (empty in a header-only entry).
        var chunks: [Range<Int>]
        /// How many chunks the tile has (known even when they are not stored here).
        var chunkCount: Int
    }

    struct StoredItem {
        var path: String
        var error: String?
        var patient: String?
        var splitKey: UInt64?
        var official: String?
        var fold: Int?
        var label: String?
        var slice: Int?
        var columns: [String] = []
        var images: Int
        var tiles: [StoredTile]
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> Decoded {
        func fail(_ why: String) -> StoreError { StoreError(path: path, "build part: \(why); delete it and rerun with --resume") }
        guard bytes.count >= 16, Array(bytes[0 ..< 8]) == magic else { throw fail("not a MedSR build part") }
        let length = (0 ..< 8).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard length >= 0, 16 + length <= bytes.count, let header = JSONValue.parse(Data(bytes[16 ..< 16 + length])),
              let items = header["items"]?.arrayValue else { throw fail("damaged header") }
        let blobCount = bytes.count - 16 - length
        var out = [StoredItem]()
        for item in items {
            guard let p = item["path"]?.stringValue else { throw fail("item without a path") }
            var tiles = [StoredTile]()
            for t in item["tiles"]?.arrayValue ?? [] {
                guard let x = t["x"]?.intValue, let y = t["y"]?.intValue, let ranges = t["chunks"]?.arrayValue else {
                    throw fail("damaged tile entry")
                }
                let chunks = try ranges.map { r -> Range<Int> in
                    guard let a = r.arrayValue, a.count == 2, let o = a[0].intValue, let n = a[1].intValue,
                          o >= 0, n >= 0, o + n <= blobCount else { throw fail("chunk outside the part") }
                    return o ..< o + n
                }
                tiles.append(StoredTile(x: x, y: y, frame: t["frame"]?.intValue, level: t["level"]?.intValue,
                                        maskFraction: t["maskFraction"]?.doubleValue ?? 0, lo: t["lo"]?.doubleValue ?? 0,
                                        hi: t["hi"]?.doubleValue ?? 0, hasMask: t["hasMask"] == .bool(true), chunks: chunks,
                                        chunkCount: chunks.count))
            }
            out.append(StoredItem(path: p, error: item["error"]?.stringValue, patient: item["patient"]?.stringValue,
                                  splitKey: item["splitKey"]?.stringValue.flatMap { UInt64($0, radix: 16) },
                                  official: item["official"]?.stringValue, fold: item["fold"]?.intValue,
                                  label: item["label"]?.stringValue, slice: item["slice"]?.intValue,
                                  columns: item["columns"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                  images: item["images"]?.intValue ?? 0, tiles: tiles))
        }
        return Decoded(items: out, bytes: bytes, blobStart: 16 + length)
    }
}

extension ItemResult {
    /// The result as the writer takes it (chunks are read from `tiles[t].chunks[c]`).
    var stored: UnitFile.StoredItem {
        UnitFile.StoredItem(path: path, error: error, patient: patient, splitKey: splitKey, official: official, fold: fold,
                            label: label, slice: slice, columns: columns, images: images, tiles: tiles.map { t in
                                UnitFile.StoredTile(x: t.x, y: t.y, frame: t.frame, level: t.level, maskFraction: t.maskFraction,
                                                    lo: t.window.lo, hi: t.window.hi, hasMask: t.hasMask, chunks: [],
                                                    chunkCount: t.chunks.count)
                            })
    }
}
