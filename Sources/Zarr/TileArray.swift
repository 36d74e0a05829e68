import Foundation
/// Writes an array of tiles `[N, …]` in order: the first axis is split into shards of
/// `shardShape[0]` tiles and inner chunks of one tile; the other axes are whole. Each shard is
/// streamed to disk as its tiles arrive (`ShardWriter`). `N` is known only at the end, when
/// `finish` writes the array's metadata.
public struct TileArrayWriter {
    public let store: FileStore
    public let path: String
    public private(set) var metadata: ArrayMetadata
    public private(set) var count = 0
    private var shard: ShardWriter?

    /// - Parameters:
    ///   - tileShape: the shape of one tile (without the leading axis).
    ///   - durableShards: shards already on disk from an interrupted run; writing resumes after them.
    public init(store: FileStore, path: String, tileShape: [Int], dataType: DataType, tilesPerShard: Int,
                compression: ChunkCompression, dimensionNames: [String]? = nil, durableShards: Int = 0) {
        self.store = store
        self.path = path
        metadata = ArrayMetadata(shape: [0] + tileShape, dataType: dataType, shardShape: [tilesPerShard] + tileShape,
                                 chunkShape: [1] + tileShape, compression: compression, dimensionNames: dimensionNames)
        count = durableShards * tilesPerShard
    }

    /// The store key of shard `index` of the array at `path` (for `rank`-dimensional arrays).
    public static func shardKey(_ path: String, _ index: Int, rank: Int) -> String {
        path + "/c/" + ([index] + Array(repeating: 0, count: rank - 1)).map(String.init).joined(separator: "/")
    }

    /// Appends one tile, already encoded with `metadata.encode(chunk:)`, or nil for a tile equal
    /// to the fill value (0), which is left an empty chunk: nothing is written for it. Full
    /// shards are moved into place at once (also a shard whose chunks are all empty).
    public mutating func append(encoded: [UInt8]?) throws {
        let perShard = metadata.shardShape[0]
        if shard == nil {
            let url = store.url(Self.shardKey(path, count / perShard, rank: metadata.shape.count))
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw StoreError(path: url.path, "cannot create the folder: \(error.localizedDescription)")
            }
            shard = try ShardWriter(path: url.path, chunkCount: perShard)
        }
        if let encoded { try shard!.set(count % perShard, encoded: encoded) }
        count += 1
        if count % perShard == 0 { try flush() }
    }

    private mutating func flush() throws {
        defer { shard = nil }
        try shard?.finish()
    }

    /// Writes the last partial shard and the array's `zarr.json`.
    public mutating func finish(attributes: JSONValue? = nil) throws {
        try flush()
        metadata.shape[0] = count
        metadata.attributes = attributes
        try store.setMetadata(path, metadata.json())
    }
}

/// Reads tiles of an array written by `TileArrayWriter` (or any sharded array whose inner
/// chunk is one element of the first axis), one shard file read per call.
public struct TileArrayReader: Sendable {
    public let store: FileStore
    public let path: String
    public let metadata: ArrayMetadata

    public init(store: FileStore, path: String) throws {
        self.store = store
        self.path = path
        let json = try store.metadata(path)
        metadata = try ArrayMetadata(json: json, path: store.url(path).path)
        guard metadata.chunkShape[0] == 1, Array(metadata.chunkShape.dropFirst()) == Array(metadata.shape.dropFirst()),
              Array(metadata.shardShape.dropFirst()) == Array(metadata.shape.dropFirst())
        else { throw StoreError(path: store.url(path).path, "not a tile array (inner chunk must be one whole tile)") }
    }

    public var count: Int { metadata.shape[0] }
    public var tileShape: [Int] { Array(metadata.shape.dropFirst()) }

    /// The raw little-endian bytes of tile `index` (zeros if the chunk is absent: the fill
    /// value). Reads only the shard's index and the one chunk, not the whole shard.
    public func tile(_ index: Int) throws -> [UInt8] {
        precondition(index >= 0 && index < count, "tile \(index) out of 0..<\(count)")
        let perShard = metadata.shardShape[0]
        let key = metadata.shardKey(path, [index / perShard] + Array(repeating: 0, count: tileShape.count))
        let zeros = { [UInt8](repeating: 0, count: metadata.chunkByteCount) }
        guard let size = store.size(key) else { return zeros() }
        let indexBytes = perShard * 16 + 4
        let filePath = store.url(key).path
        guard size >= indexBytes, let tail = store.get(key, offset: size - indexBytes, length: indexBytes) else {
            throw StoreError(path: filePath, "shard is shorter than its index: truncated")
        }
        // Parse the index as if it were a whole shard made of just the index (offsets are then
        // checked against the real size below).
        let entries = try ShardIndex.decode(tail, chunkCount: perShard, path: filePath, dataSize: size - indexBytes)
        guard let range = entries[index % perShard] else { return zeros() }
        guard let encoded = store.get(key, offset: range.lowerBound, length: range.count),
              let raw = metadata.decode(chunk: encoded) else {
            throw StoreError(path: filePath, "inner chunk \(index % perShard) does not decode: damaged")
        }
        return raw
    }
}
