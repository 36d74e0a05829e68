public import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum OutputDomain: ErrorDomain { public static let name = "output" }
/// An output folder or file that cannot be created or written, with the system's reason.
public typealias OutputError = FileError<OutputDomain>

/// Checks, before any work starts, that outputs can be written where the user asked, and
/// turns the system's failures into one line naming the path and the reason
/// (read-only file system, no space left, permission denied).
public enum OutputLocation {
    /// Creates `folder` and its parents if needed, and checks that a file can be created in it
    /// (a probe file is created and removed) and that the disk has space left.
    /// - Throws: `OutputError(.writeFailed)` naming the first path that failed and why.
    public static func prepareFolder(_ folder: URL) throws {
        let path = folder.standardizedFileURL.path
        try makeFolders(path)
        if let code = writeProblem(in: path) {
            throw OutputError(.writeFailed, path: path, "cannot write in this folder: \(systemReason(code))")
        }
    }

    /// Checks that the file `url` can be written: its folder is created as by `prepareFolder`,
    /// a file can be created in it, and the name itself is not a folder. The file is not created.
    public static func prepareFile(_ url: URL) throws {
        let path = url.standardizedFileURL.path
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            throw OutputError(.writeFailed, path: path, "is a folder; give a file name")
        }
        let folder = url.standardizedFileURL.deletingLastPathComponent().path
        try makeFolders(folder)
        if let code = writeProblem(in: folder) { throw OutputError(.writeFailed, path: path, "cannot write the file: \(systemReason(code))") }
    }

    /// Why no file can be written in the existing folder `path` (an errno), or nil: a probe file
    /// is created and removed, and the file system must have free blocks.
    static func writeProblem(in path: String) -> Int32? {
        let probe = path + "/.medsr-write-check-\(UUID().uuidString)"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { return errno }
        close(fd)
        unlink(probe)
        // Creating an empty file needs no data block: ask for free blocks too.
        return hasNoSpace(path) ? ENOSPC : nil
    }

    /// Whether the file system holding `path` has no free blocks (root may use the reserve).
    public static func hasNoSpace(_ path: String) -> Bool {
        var fs = statvfs()
        return statvfs(path, &fs) == 0 && (fs.f_bfree == 0 || (fs.f_bavail == 0 && geteuid() != 0))
    }

    /// `mkdir -p` with the system's reason for the first component that fails.
    /// - Throws: `OutputError(.writeFailed)`.
    public static func makeFolders(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw OutputError(.writeFailed, path: path, "exists and is not a folder")
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeFolders(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw OutputError(.writeFailed, path: path, "cannot create the folder: \(systemReason(errno))")
        }
    }

    /// The system's words for `code`, lower-cased to read inside a sentence
    /// ("read-only file system", "no space left on device", "permission denied").
    public static func systemReason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// One line for a Foundation file error (`Error Domain=NSCocoaErrorDomain Code=642 …`):
    /// the path it names and the system's reason; nil for errors that are not Foundation file errors.
    public static func describe(_ error: any Error) -> String? {
        guard let reason = reason(of: error) else { return nil }
        let ns = error as NSError
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        return path.map { "\($0): \(reason)" } ?? reason
    }

    /// The system's reason in a Foundation or POSIX error ("read-only file system"); nil for other errors.
    public static func reason(of error: any Error) -> String? {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return nil }
        var code: Int32?
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            code = Int32(underlying.code)
        } else if ns.domain == NSPOSIXErrorDomain {
            code = Int32(ns.code)
        } else if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileWriteVolumeReadOnly: code = EROFS
            case .fileWriteOutOfSpace: code = ENOSPC
            case .fileWriteNoPermission, .fileReadNoPermission: code = EACCES
            case .fileNoSuchFile, .fileReadNoSuchFile: code = ENOENT
            case .fileWriteFileExists: code = EEXIST
            default: code = nil
            }
        }
        return code.map(systemReason) ?? "file operation failed (code \(ns.code))"
    }
}
