import Foundation

/// The only way MedServe turns a name from a request into a file: `ROOT/relative/path`, where
/// ROOT is the index of a `--root`. Refuses `..`, absolute paths, backslashes, control
/// characters, hidden components and anything still percent-encoded after the one decoding
/// the request went through; then resolves symlinks and insists the result is under the
/// root's own resolved path.
struct RootFiles: Sendable {
    /// Resolved (symlink-free) root paths, without a trailing slash.
    let roots: [String]

    init(_ urls: [URL]) {
        roots = urls.map { Self.realPath($0.path) ?? $0.standardizedFileURL.path }
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// True when `relative` is a plain relative path: components of printable characters other
    /// than `\` and `%`, none empty, `.`, `..` or hidden.
    static func isPlain(_ relative: String) -> Bool {
        if relative.isEmpty { return true }
        if relative.utf8.count > 1024 { return false }
        for scalar in relative.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f || scalar == "\\" || scalar == "%" { return false }
            if (0x2000 ... 0x206f).contains(scalar.value) || scalar.value == 0xfeff || (0xff00 ... 0xffef).contains(scalar.value) {
                return false  // look-alike dots and slashes (U+2024, U+FF0E, U+FF0F, …) and invisible marks
            }
        }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        return !parts.contains { $0.isEmpty || $0.hasPrefix(".") || $0.hasSuffix(" ") || $0.contains(":") }
    }

    /// The file or folder an id names (`"0"`, `"0/runs/a"`), or nil when the id is malformed,
    /// names no existing file, or resolves outside its root.
    func resolve(_ id: String) -> URL? {
        let (head, rest) = id.firstIndex(of: "/").map { (String(id[..<$0]), String(id[id.index(after: $0)...])) } ?? (id, "")
        guard head.count <= 3, head.allSatisfy(\.isASCII), let index = Int(head), roots.indices.contains(index),
              String(index) == head, Self.isPlain(rest) else { return nil }
        let root = roots[index]
        let joined = rest.isEmpty ? root : root + "/" + rest
        guard let real = Self.realPath(joined), real == root || real.hasPrefix(root == "/" ? "/" : root + "/") else { return nil }
        return URL(fileURLWithPath: real)
    }

    /// The id of a file found under root `index` (the inverse of `resolve`).
    func id(of url: URL, root index: Int) -> String? {
        let path = url.standardizedFileURL.path
        let root = roots[index]
        if path == root { return "\(index)" }
        guard path.hasPrefix(root + "/") else { return nil }
        return "\(index)/" + path.dropFirst(root.count + 1)
    }
}
