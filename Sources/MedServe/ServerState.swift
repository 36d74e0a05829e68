import Foundation
import Logging
import Synchronization

/// What every request handler shares: options, the roots, caches, the job limiter, uploads.
final class ServerState: Sendable {
    let options: ServeOptions
    let token: String?
    let files: RootFiles
    let logger: Logger
    let renderer = TileRenderer()
    let models = ModelAdapter()
    let limiter: JobLimiter
    let uploads: Uploads
    private let boundPort = Atomic<Int>(0)

    init(options: ServeOptions, logger: Logger) throws {
        self.options = options
        token = options.token
        files = RootFiles(options.roots)
        self.logger = logger
        limiter = JobLimiter(slots: options.jobs, queueLimit: options.queueLimit)
        uploads = try Uploads(options: options)
    }

    var port: Int {
        get { boundPort.load(ordering: .acquiring) }
        set { boundPort.store(newValue, ordering: .releasing) }
    }

    /// Per port, so two servers on one machine keep their own cookies.
    var cookieName: String { "medsr_token_\(port)" }
    var cookie: String { "\(cookieName)=\(token ?? ""); Path=/; HttpOnly; SameSite=Strict" }

    /// Host names this server answers to: loopback names, and the --host it was given.
    func isAllowed(host authority: String) -> Bool {
        guard let (name, port) = Self.split(authority), port == nil || port == self.port else { return false }
        if ServeOptions.isLoopback(name) { return true }
        let bound = options.host.lowercased()
        if name == bound || "[\(bound)]" == name { return true }
        // Bound to every interface: any IP literal (a DNS rebinding attack comes by a name).
        if ["0.0.0.0", "::", "[::]"].contains(bound) {
            return name.allSatisfy { $0.isNumber || $0 == "." } || (name.hasPrefix("[") && name.hasSuffix("]"))
        }
        return false
    }

    /// An Origin header is allowed when it is `http://` plus an allowed host.
    func isAllowed(origin: String) -> Bool {
        guard origin.lowercased().hasPrefix("http://") else { return false }
        let authority = String(origin.dropFirst(7))
        return !authority.contains("/") && isAllowed(host: authority) && Self.split(authority)?.1 == port
    }

    /// `name[:port]` or `[v6][:port]` → (lower-case name, port).
    static func split(_ authority: String) -> (String, Int?)? {
        let a = authority.lowercased()
        if a.hasPrefix("[") {
            guard let close = a.firstIndex(of: "]") else { return nil }
            let name = String(a[...close]), rest = a[a.index(after: close)...]
            if rest.isEmpty { return (name, nil) }
            guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else { return nil }
            return (name, p)
        }
        let parts = a.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { return nil }
        if parts.count == 1 { return (String(parts[0]), nil) }
        guard let p = Int(parts[1]) else { return nil }
        return (String(parts[0]), p)
    }

    /// Constant-time comparison of two tokens.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The file or folder of an id from a request; a refusal is logged without the id's contents.
    func resolve(_ id: String?, what: String) throws -> URL {
        guard let id, !id.isEmpty else { throw ServeError.bad("\(what): give its id") }
        guard let url = files.resolve(id) else {
            if !RootFiles.isPlain(String(id.drop { $0 != "/" }.dropFirst())) {
                logger.warning("refused a path outside the roots (\(id.utf8.count) bytes, not shown)")
            }
            throw ServeError.notFound(what)
        }
        return url
    }
}
