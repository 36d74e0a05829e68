import Foundation
import Glibc

/// The index of one shard of the `sharding_indexed` codec: after the encoded inner chunks, one
/// (offset, nbytes) little-endian UInt64 pair per inner chunk in C order (2^64−1 twice for an
/// empty chunk), then the index's CRC-32C.
public enum ShardIndex {
    /// The index bytes (pairs and checksum) for these entries; nil entries are empty chunks.
    public static func encode(_ entries: [Range<Int>?]) -> [UInt8] {
        var tail = [UInt8]()
        tail.reserveCapacity(entries.count * 16 + 4)
        for entry in entries {
            let (offset, count) = entry.map { (UInt64($0.lowerBound), UInt64($0.count)) } ?? (.max, .max)
            withUnsafeBytes(of: offset.littleEndian) { tail.append(contentsOf: $0) }
            withUnsafeBytes(of: count.littleEndian) { tail.append(contentsOf: $0) }
        }
        withUnsafeBytes(of: CRC32C.checksum(tail).littleEndian) { tail.append(contentsOf: $0) }
        return tail
    }

    /// The (offset, nbytes) index of a shard file of `chunkCount` inner chunks, checked
    /// against its CRC-32C and the file's size; nil entries are empty chunks.
    /// - Parameter dataSize: when `shard` holds only the index (read from the end of a file),
    ///   the size of the chunk data before it; entries are checked against it.
    public static func decode(_ shard: [UInt8], chunkCount: Int, path: String, dataSize: Int? = nil) throws -> [Range<Int>?] {
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

/// Streams one shard to disk as its inner chunks arrive: chunk bytes go to a temporary file
/// beside the shard's key (small chunks through a buffer, large ones straight to the kernel),
/// so a shard is never held or regrown in memory. `finish` appends the index and renames the
/// file into place; a writer dropped before `finish` removes its temporary file, so the key
/// never names a partial shard.
public final class ShardWriter {
    public let path: String
    private let temporary: String
    private var fd: Int32
    private var entries: [Range<Int>?]
    private var size = 0
    private var buffer = [UInt8]()
    private static let bufferLimit = 256 << 10

    /// Creates the temporary file for the shard at file path `path` (its folder must exist).
    public init(path: String, chunkCount: Int) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(path: path, "cannot create the shard: \(systemReason(errno))") }
        entries = Array(repeating: nil, count: chunkCount)
        buffer.reserveCapacity(Self.bufferLimit)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporary)
        }
    }

    /// Stores the encoded inner chunk at `position` (C order within the shard).
    public func set(_ position: Int, encoded: [UInt8]) throws {
        precondition(position >= 0 && position < entries.count && fd >= 0)
        entries[position] = size ..< size + encoded.count
        size += encoded.count
        if encoded.count >= Self.bufferLimit / 4 {
            try drain()
            try write(encoded)
        } else {
            if buffer.count + encoded.count > Self.bufferLimit { try drain() }
            buffer.append(contentsOf: encoded)
        }
    }

    /// Writes the index and moves the shard into place.
    public func finish() throws {
        precondition(fd >= 0)
        buffer.append(contentsOf: ShardIndex.encode(entries))
        try drain()
        let closed = close(fd)
        fd = -1
        guard closed == 0 else {
            unlink(temporary)
            throw StoreError(path: path, "cannot write the shard: \(systemReason(errno))")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw StoreError(path: path, "cannot rename the temporary file into place: \(systemReason(errno))")
        }
    }

    private func drain() throws {
        try write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: [UInt8]) throws {
        try FileStore.writeAll(bytes, to: fd, path: path)
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
