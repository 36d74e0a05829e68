import Foundation
import Testing
import TestSupport
import Zarr

@Suite struct ZarrTests {
    static func temporaryStore() throws -> FileStore {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zarr-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return FileStore(root: url)
    }

    @Test func crc32cCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func zstdRoundTripAndRefusesWrongSize() {
        let raw = (0 ..< 5000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }
        let packed = Zstd.compress(raw, level: 3)
        #expect(packed.count < raw.count)
        #expect(Zstd.decompress(packed, expected: raw.count) == raw)
        #expect(Zstd.decompress(packed, expected: raw.count - 1) == nil)
        #expect(Zstd.decompress(packed.dropLast(3), expected: raw.count) == nil)
    }

    /// Tile counts around shard boundaries: 0, 1, n−1, n, n+1, 2n+1; raw and zstd.
    @Test(arguments: [0, 1, 3, 4, 5, 9], [ChunkCompression.none, .zstd(level: 3)])
    func tileArrayRoundTrip(count: Int, compression: ChunkCompression) throws {
        let store = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: store.root) }
        var writer = TileArrayWriter(store: store, path: "a/hr", tileShape: [2, 3, 5], dataType: .uint16, tilesPerShard: 4,
                                     compression: compression)
        var tiles = [[UInt8]]()
        for i in 0 ..< count {
            // Every third tile equals the fill value and is appended as an empty chunk.
            let empty = i % 3 == 2
            let tile = empty ? [UInt8](repeating: 0, count: 60) : (0 ..< 60).map { UInt8(truncatingIfNeeded: $0 * 31 + i * 7) }
            tiles.append(tile)
            try writer.append(encoded: empty ? nil : writer.metadata.encode(chunk: tile))
        }
        try writer.finish()
        let shards = (try? FileManager.default.contentsOfDirectory(atPath: store.url("a/hr/c").path)) ?? []
        #expect(shards.count == (count + 3) / 4)
        // Nothing is stored for the empty tiles: each shard holds its stored chunks and the index.
        if compression == .none {
            let stored = (0 ..< count).filter { $0 % 3 != 2 }.count
            let bytes = shards.reduce(0) { $0 + (store.size("a/hr/c/\($1)/0/0/0") ?? 0) }
            #expect(bytes == stored * 60 + shards.count * (4 * 16 + 4))
        }
        let reader = try TileArrayReader(store: store, path: "a/hr")
        #expect(reader.count == count)
        #expect(reader.tileShape == [2, 3, 5])
        for i in 0 ..< count { #expect(try reader.tile(i) == tiles[i]) }
    }

    /// A shard streamed by `ShardWriter`: chunks in arrival order, then the index.
    static func shardBytes(_ chunks: [(Int, [UInt8])], chunkCount: Int) throws -> [UInt8] {
        let folder = try temporaryStore().root
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("0").path
        let writer = try ShardWriter(path: path, chunkCount: chunkCount)
        for (position, bytes) in chunks { try writer.set(position, encoded: bytes) }
        try writer.finish()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["0"])
        return try #require(FileStore.read(path))
    }

    @Test func shardIndexLayoutAndEmptyChunks() throws {
        let bytes = try Self.shardBytes([(2, [1, 2, 3])], chunkCount: 3)
        #expect(bytes.count == 3 + 3 * 16 + 4)
        let index = try ShardIndex.decode(bytes, chunkCount: 3, path: "x")
        #expect(index[0] == nil && index[1] == nil && index[2] == 0 ..< 3)
        // An empty entry is 2^64−1 twice.
        #expect(bytes[3 ..< 19].allSatisfy { $0 == 0xFF })
    }

    /// Chunks out of order, small ones through the buffer and large ones around it, land where the index says.
    @Test func shardWriterKeepsEveryChunkWhereTheIndexSays() throws {
        let sizes = [5, 200_000, 7, 70_000, 1, 300_000, 64_000, 3]
        let chunks = sizes.enumerated().map { k, n in ((k * 3) % sizes.count, (0 ..< n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ k) }) }
        let bytes = try Self.shardBytes(chunks, chunkCount: sizes.count)
        let index = try ShardIndex.decode(bytes, chunkCount: sizes.count, path: "x")
        for (position, chunk) in chunks { #expect(Array(bytes[try #require(index[position])]) == chunk) }
    }

    /// A shard dropped before `finish` leaves nothing behind, neither the key nor a temporary file.
    @Test func abandonedShardLeavesNoFile() throws {
        let folder = try Self.temporaryStore().root
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            let writer = try ShardWriter(path: folder.appendingPathComponent("0").path, chunkCount: 2)
            try writer.set(0, encoded: [UInt8](repeating: 1, count: 100_000))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func damagedShardIsRefused() throws {
        var bytes = try Self.shardBytes([(0, [9, 9])], chunkCount: 2)
        bytes[bytes.count - 10] ^= 0x40
        #expect(throws: StoreError.self) { try ShardIndex.decode(bytes, chunkCount: 2, path: "x") }
        #expect(throws: StoreError.self) { try ShardIndex.decode(Array(bytes.prefix(10)), chunkCount: 2, path: "x") }
    }

    @Test func jsonRoundTripKeepsOrderAndValues() throws {
        let value = JSONValue.object([("z", .int(3)), ("a", .array([.double(0.1), .bool(true), .null])),
                                      ("s", .string("quote \" slash \\ tab \t é"))])
        let text = value.serialized()
        let parsed = try #require(JSONValue.parse(Data(text.utf8)))
        #expect(parsed == value)
        #expect(JSONValue.parse(Data("{\"a\": [1, 2".utf8)) == nil)
        #expect(JSONValue.parse(Data(String(repeating: "[", count: 10000).utf8)) == nil)
    }
}
