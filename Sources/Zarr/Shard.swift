/// One shard of the `sharding_indexed` codec: the encoded inner chunks back to back, then an
/// index of (offset, nbytes) little-endian UInt64 pairs, one per inner chunk in C order
/// (2^64−1 twice for an empty chunk), then the index's CRC-32C.
public struct ShardBuilder: Sendable {
    public let chunkCount: Int
    private(set) var data: [UInt8] = []
    private var index: [(UInt64, UInt64)]

    public init(chunkCount: Int) {
        self.chunkCount = chunkCount
        index = Array(repeating: (.max, .max), count: chunkCount)
    }

    public var isEmpty: Bool { data.isEmpty && index.allSatisfy { $0.0 == .max } }

    /// Stores the encoded inner chunk at `position` (C order within the shard).
    public mutating func set(_ position: Int, encoded: [UInt8]) {
        precondition(position >= 0 && position < chunkCount)
        index[position] = (UInt64(data.count), UInt64(encoded.count))
        data.append(contentsOf: encoded)
    }

    /// The shard file's bytes.
    public consuming func finished() -> [UInt8] {
        var out = data
        var tail = [UInt8]()
        tail.reserveCapacity(chunkCount * 16 + 4)
        for (offset, count) in index {
            withUnsafeBytes(of: offset.littleEndian) { tail.append(contentsOf: $0) }
            withUnsafeBytes(of: count.littleEndian) { tail.append(contentsOf: $0) }
        }
        withUnsafeBytes(of: CRC32C.checksum(tail).littleEndian) { tail.append(contentsOf: $0) }
        out.append(contentsOf: tail)
        return out
    }

    /// The (offset, nbytes) index of a shard file of `chunkCount` inner chunks, checked
    /// against its CRC-32C and the file's size; nil entries are empty chunks.
    /// - Parameter dataSize: when `shard` holds only the index (read from the end of a file),
    ///   the size of the chunk data before it; entries are checked against it.
    public static func index(of shard: [UInt8], chunkCount: Int, path: String, dataSize: Int? = nil) throws -> [Range<Int>?] {
        let indexBytes = chunkCount * 16
        guard shard.count >= indexBytes + 4 else { throw StoreError(path: path, "shard is shorter than its index: truncated") }
        let start = shard.count - indexBytes - 4
        let limit = UInt64(dataSize ?? start)
        let table = shard[start ..< start + indexBytes]
        let stored = shard[(shard.count - 4)...].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        guard CRC32C.checksum(table) == stored else { throw StoreError(path: path, "shard index checksum mismatch: damaged") }
        func u64(_ at: Int) -> UInt64 {
            (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(shard[start + at + $1]) << (8 * UInt64($1)) }
        }
        return try (0 ..< chunkCount).map { i in
            let offset = u64(i * 16), count = u64(i * 16 + 8)
            if offset == .max && count == .max { return nil }
            guard offset <= limit, count <= limit - offset else {
                throw StoreError(path: path, "shard index entry \(i) points outside the shard")
            }
            return Int(offset) ..< Int(offset + count)
        }
    }
}

extension ArrayMetadata {
    /// Encodes one inner chunk's raw little-endian bytes with the inner codecs (`compressor`
    /// reuses one zstd context; pass one per thread when encoding many chunks).
    public func encode(chunk raw: [UInt8], compressor: Zstd.Compressor? = nil) -> [UInt8] {
        precondition(raw.count == chunkByteCount, "chunk has \(raw.count) bytes, expected \(chunkByteCount)")
        switch compression {
        case .none: return raw
        case .zstd(let level): return (compressor ?? Zstd.Compressor()).compress(raw, level: level)
        }
    }

    /// Decodes one inner chunk; nil when it is damaged.
    public func decode(chunk encoded: some Collection<UInt8>) -> [UInt8]? {
        switch compression {
        case .none: return encoded.count == chunkByteCount ? Array(encoded) : nil
        case .zstd: return Zstd.decompress(encoded, expected: chunkByteCount)
        }
    }

    /// The store key of the shard at shard-grid coordinates `coords`.
    public func shardKey(_ path: String, _ coords: [Int]) -> String {
        path + "/c/" + coords.map(String.init).joined(separator: "/")
    }
}
