public import Foundation
import Glibc

/// A Zarr store on the local file system: keys are paths under `root`; every `set` is
/// atomic (a temporary file beside the key, then a rename), so a reader never sees half a shard.
public struct FileStore: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    public func url(_ key: String) -> URL { root.appendingPathComponent(key) }

    /// Writes `bytes` under `key`, creating folders as needed.
    public func set(_ key: String, _ bytes: [UInt8]) throws {
        let target = url(key)
        let folder = target.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
            try Self.write(bytes, to: temporary.path)
            guard rename(temporary.path, target.path) == 0 else {
                try? FileManager.default.removeItem(at: temporary)
                throw StoreError(path: target.path, "cannot rename the temporary file into place: \(systemReason(errno))")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            // FileManager's error: its POSIX cause, not "Error Domain=NSCocoaErrorDomain Code=642 …".
            let cause = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).map { systemReason(Int32($0.code)) }
            throw StoreError(path: target.path, "cannot write: \(cause ?? error.localizedDescription)")
        }
    }

    /// Writes `bytes` to `url` atomically (a temporary file beside it, then a rename).
    public static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        try FileStore(root: url.deletingLastPathComponent()).set(url.lastPathComponent, bytes)
    }

    /// Writes `bytes` to a new file with plain POSIX calls (no intermediate copy).
    static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw StoreError(path: path, "cannot create: \(systemReason(errno))") }
        defer { close(fd) }
        try writeAll(bytes, to: fd, path: path)
    }

    /// Writes all of `bytes` to the open file `fd` (named `path` in errors).
    static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw StoreError(path: path, "write failed: \(systemReason(n < 0 ? errno : ENOSPC))") }
                done += n
            }
        }
    }

    /// The bytes under `key`, or nil when there are none.
    public func get(_ key: String) -> [UInt8]? {
        Self.read(url(key).path)
    }

    /// A whole file, read with POSIX calls straight into the array.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= 0 else { return nil }
        let size = Int(info.st_size)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = Glibc.read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                done += n
            }
            failed = done != size
            count = done
        }
        return failed ? nil : bytes
    }

    /// `length` bytes at `offset` of the value under `key` (a partial read, as a shard index
    /// lookup needs); nil when the key is missing or shorter.
    public func get(_ key: String, offset: Int, length: Int) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: url(key).path) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil,
              let data = try? handle.read(upToCount: length), data.count == length else { return nil }
        return [UInt8](data)
    }

    public func size(_ key: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: url(key).path)[.size] as? NSNumber)?.intValue
    }

    /// Writes a node's `zarr.json`.
    public func setMetadata(_ path: String, _ json: JSONValue) throws {
        try set(path.isEmpty ? "zarr.json" : path + "/zarr.json", Array(json.serialized().utf8))
    }

    /// A node's parsed `zarr.json`.
    public func metadata(_ path: String) throws -> JSONValue {
        let key = path.isEmpty ? "zarr.json" : path + "/zarr.json"
        guard let bytes = get(key) else { throw StoreError(path: url(key).path, "no zarr.json: not a Zarr node") }
        guard let json = JSONValue.parse(Data(bytes)), json["zarr_format"]?.intValue == 3 else {
            throw StoreError(path: url(key).path, "not Zarr v3 metadata")
        }
        return json
    }

    /// Writes a group node with these attributes.
    public func createGroup(_ path: String, attributes: JSONValue? = nil) throws {
        var members: [(String, JSONValue)] = [("zarr_format", .int(3)), ("node_type", .string("group"))]
        if let attributes { members.append(("attributes", attributes)) }
        try setMetadata(path, .object(members))
    }
}

/// The system's words for an errno, lower-cased to read inside a sentence ("read-only file system").
func systemReason(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    return text.prefix(1).lowercased() + text.dropFirst()
}
