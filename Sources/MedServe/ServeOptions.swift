public import Foundation

/// What `medsr serve` was asked for: where to listen, what to show, how much work to accept.
public struct ServeOptions: Sendable {
    /// Folders whose datasets, runs and files may be shown; nothing outside them is read.
    public var roots: [URL]
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the bound port is in `MedServer.port` once running.
    public var port = 8080
    /// nil: no token (only on a loopback host).
    public var token: String?
    /// Model runs (inference on a tile or an upload) at once.
    public var jobs = 1
    /// Requests waiting for a job slot before new ones are refused with 503.
    public var queueLimit = 8
    public var maxUploadBytes = 512 << 20
    /// Decoded pixels an upload may have (`--max-mb`).
    public var maxDecodedBytes = 4096 << 20
    /// Show patient identifiers (DICOM tags of uploads, manifest source paths).
    public var showPHI = false
    /// The `medsr` executable: uploads are read and upscaled in a child process of it, so a file
    /// that crashes a C reader takes down the child, not the server.
    public var helper: URL?
    /// The folder holding index.html, app.js, app.css and openapi.json.
    public var webRoot: URL?
    /// Log every request and refusal (info); false logs only failures (tests).
    public var logRequests = true
    /// Seconds a child process may run before it is killed.
    public var childTimeoutSeconds = 300.0

    public init(roots: [URL]) { self.roots = roots }

    /// True for the names and addresses of this machine's loopback interface.
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased()) || host.hasPrefix("127.")
    }

    /// A random token: 24 bytes as 48 hex digits (as Jupyter's).
    public static func randomToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0 ..< 24).map { _ in String(format: "%02x", UInt8.random(in: 0 ... 255, using: &rng)) }.joined()
    }

    /// Problems with these options, each one line (empty when they can be served).
    public func problems() -> [String] {
        var out = [String]()
        if roots.isEmpty { out.append("give at least one --root folder") }
        for root in roots {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                out.append("\(root.path): --root must be an existing folder")
            }
        }
        if token == nil && !Self.isLoopback(host) {
            out.append("--host \(host) is reachable from other machines: it needs a token (drop --no-token)")
        }
        if let token, token.count < 8 || !token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            out.append("--token must be 8 or more letters, digits, - or _")
        }
        if !(0 ... 65535).contains(port) { out.append("--port must be 0…65535") }
        if jobs < 1 || queueLimit < 0 { out.append("--jobs must be 1 or more") }
        if maxUploadBytes < 1 || maxDecodedBytes < 1 { out.append("--max-upload-mb and --max-mb must be positive") }
        return out
    }
}
