import ArgumentParser
import Dispatch
import Foundation
import MedServe

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A local web workbench: browse datasets, compare methods tile by tile, try a file, watch training.",
        discussion: """
        Serves one page and a JSON API (described at /openapi.json) over the datasets (folders \
        with zarr.json from medsr build) and training runs (folders with model.safetensors) found \
        under the --root folders. Prints one URL with a token; open it in a browser. The token is \
        kept in a cookie after the first visit.

        Safe by default: binds 127.0.0.1; any other --host needs a token. Requests must carry the \
        token, a Host header naming this server and no foreign Origin. Only files under the roots \
        are read (after resolving symlinks); other paths answer 404 and are logged without their \
        contents. Uploads go to a private temporary folder that is deleted when the server stops, \
        and are read and upscaled in a child process (a file that crashes a reader does not take \
        the server down). No patient identifiers are shown unless --show-phi.

        Examples:
          medsr serve --root demo-out
          medsr serve --root datasets --root runs --port 8090 --jobs 2
          medsr serve --root /data --host 0.0.0.0 --token my-long-secret
        """
    )

    @Option(name: .customLong("root"), help: "A folder to serve (repeatable; default: the current folder).") var roots: [String] = []
    @Option(parsing: .unconditional, help: "Port (0: any free port).") var port = 8080
    @Option(help: "Address to bind; anything other than loopback needs a token.") var host = "127.0.0.1"
    @Option(help: "The access token (default: a random one).") var token: String?
    @Flag(name: .customLong("no-token"), help: "No token (loopback only).") var noToken = false
    @Option(name: .shortAndLong, parsing: .unconditional, help: "Model runs at once.") var jobs = 1
    @Option(name: .customLong("queue"), parsing: .unconditional, help: "Requests waiting for a job before 503.") var queue = 8
    @Option(name: .customLong("max-upload-mb"), parsing: .unconditional, help: "Largest upload, MiB.") var maxUploadMB = 512
    @Option(name: .customLong("max-mb"), parsing: .unconditional, help: "Refuse uploads whose decoded pixels exceed this many MiB.") var maxMB = 4096
    @Flag(name: .customLong("show-phi"), help: "Show patient identifiers (off by default).") var showPHI = false

    func validate() throws {
        if token != nil && noToken { throw ValidationError("--token and --no-token exclude each other") }
        var options = makeOptions()
        options.roots = []  // folders are checked in run (exit 1, not a usage error)
        let problems = options.problems().filter { !$0.contains("--root") }
        if let first = problems.first { throw ValidationError(first) }
    }

    func makeOptions() -> ServeOptions {
        let folders = roots.isEmpty ? ["."] : roots
        var options = ServeOptions(roots: folders.map { URL(fileURLWithPath: $0) })
        options.host = host
        options.port = port
        options.token = noToken ? nil : (token ?? ServeOptions.randomToken())
        options.jobs = jobs
        options.queueLimit = queue
        options.maxUploadBytes = maxUploadMB << 20
        options.maxDecodedBytes = maxMB << 20
        options.showPHI = showPHI
        options.helper = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        options.webRoot = Self.webRoot()
        return options
    }

    /// The page's files: beside the executable (SwiftPM's resource bundle), in an installed
    /// share/medsr/Web, or MEDSR_WEB.
    static func webRoot() -> URL? {
        let exe = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates = [exe.appendingPathComponent("MedSR_MedServe.resources/Web"), exe.appendingPathComponent("../share/medsr/Web")]
        if let env = ProcessInfo.processInfo.environment["MEDSR_WEB"] { candidates.insert(URL(fileURLWithPath: env), at: 0) }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("index.html").path) }?.standardizedFileURL
    }

    func run() throws {
        let options = makeOptions()
        if let problem = options.problems().first {
            report("medsr: \(problem)")
            throw ExitCode(1)
        }
        if options.webRoot == nil { report("medsr: warning: the page's files (Web/) were not found; the API works, the page does not (set MEDSR_WEB)") }
        let server = try withCleanError { try MedServer(options: options) }
        let failure = LockedBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run { s in
                    print("medsr serve: \(s.url)")
                    print("  roots: \(options.roots.map(\.path).joined(separator: ", ")); Ctrl-C stops (uploads are deleted)")
                }
            } catch {
                let text = oneLine(error)
                // NIO's bind error names a system call, not the address: say which.
                if text.contains("Address already in use") {
                    failure.set("\(options.host):\(options.port) is already in use (another server?); choose another --port, or --port 0 for any free one")
                } else if text.contains("Permission denied") && text.contains("bind") {
                    failure.set("\(options.host):\(options.port): permission denied (ports below 1024 need privileges); choose another --port")
                } else {
                    failure.set(text)
                }
            }
            done.signal()
        }
        done.wait()
        if let message = failure.get() {
            report("medsr: \(message)")
            throw ExitCode(1)
        }
    }
}

/// One error message handed from the server task to the command.
final class LockedBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    func set(_ v: String) { lock.lock(); value = v; lock.unlock() }
    func get() -> String? { lock.lock(); defer { lock.unlock() }; return value }
}
