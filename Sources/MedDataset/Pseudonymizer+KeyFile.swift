public import Foundation
import MedImage

extension Pseudonymizer {
    /// The shortest secret key accepted for pseudonyms, in bytes.
    public static let minimumKeyBytes = 16

    /// Reads a pseudonym key from a file, a pipe or a process substitution (`<(openssl rand 32)`),
    /// to its end: the size is never taken from `stat`, which is 0 for a pipe.
    /// - Throws: `InputError` when it cannot be opened or holds fewer than `minimumKeyBytes` bytes.
    public static func readKey(_ url: URL) throws -> [UInt8] {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw InputError(.unreadable, path: url.path, "cannot read the key file: \(OutputLocation.systemReason(errno))")
        }
        defer { close(fd) }
        var key = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while key.count <= 1 << 20 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw InputError(.unreadable, path: url.path, "cannot read the key file: \(OutputLocation.systemReason(errno))") }
            if n == 0 { break }
            key += buffer[0 ..< n]
        }
        guard key.count >= minimumKeyBytes else {
            throw InputError(.invalidRequest, path: url.path,
                             "the key holds \(key.count) byte\(key.count == 1 ? "" : "s"), fewer than \(minimumKeyBytes) (a pseudonym key needs entropy, e.g. openssl rand 32 > key)")
        }
        return key
    }
}
