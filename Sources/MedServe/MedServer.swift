public import Foundation
import Hummingbird
import Logging
import NIOCore

/// `medsr serve`: the local web workbench. Routes over the libraries; no logic of its own.
public final class MedServer: Sendable {
    let state: ServerState

    public init(options: ServeOptions) throws {
        let problems = options.problems()
        guard problems.isEmpty else { throw ServeError.bad(problems.joined(separator: "; ")) }
        // One line per request on standard error (paths only when plain; never a patient value).
        var logger = Logger(label: "medsr.serve") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = options.logRequests ? .info : .error
        state = try ServerState(options: options, logger: logger)
    }

    /// The port the server listens on (after `onRunning` was called).
    public var port: Int { state.port }
    /// The folder uploads live in (deleted when `run` returns).
    public var uploadFolder: URL { state.uploads.folder }

    /// The URL to open: with the token, as Jupyter prints it.
    public var url: String {
        let host = state.options.host.contains(":") ? "[\(state.options.host)]" : state.options.host
        let shown = ["0.0.0.0", "::"].contains(state.options.host) ? "127.0.0.1" : host
        return "http://\(shown):\(port)/" + (state.token.map { "?token=\($0)" } ?? "")
    }

    /// Serves until SIGINT/SIGTERM (or the task is cancelled); the upload folder is deleted at the end.
    /// - Parameter onRunning: called once the port is bound (with `port` and `url` set).
    public func run(onRunning: @escaping @Sendable (MedServer) -> Void = { _ in }) async throws {
        defer { state.uploads.close() }
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: AccessGuard(server: state))
        Routes(state: state).register(on: router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(state.options.host, port: state.options.port), serverName: nil),
            onServerRunning: { [self] channel in
                state.port = channel.localAddress?.port ?? 0
                onRunning(self)
            },
            logger: state.logger
        )
        try await app.runService()  // SIGTERM and SIGINT end it gracefully
    }
}
