import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Every request passes here first: the path is checked for traversal tricks, the `Host` and
/// `Origin` headers against this server's own names (no DNS rebinding, no cross-site calls),
/// and the token (query parameter on the first visit, then a cookie). Logs one line per
/// request: method, status and a path shown only when it is plain.
struct AccessGuard<Context: RequestContext>: RouterMiddleware {
    let server: ServerState

    static func isSuspicious(rawPath: String) -> Bool { PathCheck.isSuspicious(rawPath: rawPath) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let raw = request.uri.path
        let started = ContinuousClock.now
        let response = await answer(request, context: context, next: next)
        let shown = Self.isSuspicious(rawPath: raw) ? "(refused path, \(raw.utf8.count) bytes)" : String(raw.prefix(80))
        let ms = (ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000
            + (ContinuousClock.now - started).components.seconds * 1000
        server.logger.info("\(request.method) \(shown) \(response.status.code) \(ms) ms")
        return decorate(response)
    }

    func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async -> Response {
        let api = request.uri.path.hasPrefix("/api") || request.uri.path == "/openapi.json"
        func refuse(_ status: HTTPResponse.Status, _ message: String) -> Response {
            api ? Reply.error(ServeError(status: status, message: message))
                : Reply.bytes(Array((message + "\n").utf8), type: "text/plain; charset=utf-8", status: status)
        }
        if Self.isSuspicious(rawPath: request.uri.path) {
            server.logger.warning("refused a path outside the roots (\(request.uri.path.utf8.count) bytes, not shown)")
            return refuse(.notFound, "not found")
        }
        guard let authority = request.head.authority, server.isAllowed(host: authority) else {
            return refuse(.forbidden, "forbidden: the Host header does not name this server")
        }
        if let origin = request.headers[.origin], !server.isAllowed(origin: origin) {
            return refuse(.forbidden, "forbidden: cross-origin request")
        }
        if request.headers[HTTPField.Name("Sec-Fetch-Site")!] == "cross-site" {
            return refuse(.forbidden, "forbidden: cross-site request")
        }
        var setCookie = false
        if let token = server.token {
            let query = request.uri.queryParameters["token"].map(String.init)
            let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            let cookie = request.cookies[server.cookieName]?.value
            let viaQuery = query.map { ServerState.same($0, token) } ?? false
            guard viaQuery || [bearer, cookie].contains(where: { $0.map { ServerState.same($0, token) } ?? false }) else {
                return refuse(.forbidden, "forbidden: open the URL with the token that medsr serve printed")
            }
            setCookie = viaQuery
            // The first visit: keep the token in a cookie and drop it from the address bar.
            if viaQuery && request.method == .get && (request.uri.path == "/" || request.uri.path == "/index.html") {
                var response = Response(status: .seeOther, headers: [.location: "/"])
                response.headers[.setCookie] = server.cookie
                return response
            }
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let e as ServeError {
            response = refuse(e.status, e.message)
        } catch let e as any HTTPResponseError {
            response = refuse(e.status, e.status == .notFound ? "not found" : e.status.reasonPhrase)
        } catch {
            server.logger.error("internal error: \(type(of: error))")
            response = refuse(.internalServerError, "internal error")
        }
        if setCookie { response.headers[.setCookie] = server.cookie }
        return response
    }

    /// Headers on every answer: no caching, no sniffing, no framing, no referrer (the token).
    func decorate(_ response: Response) -> Response {
        var r = response
        r.headers[.cacheControl] = "no-store"
        r.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        r.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        r.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        if r.headers[.contentSecurityPolicy] == nil {
            r.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
        }
        return r
    }
}

/// Raw request paths that are refused before routing.
enum PathCheck {
    /// Raw-path fragments that never occur in a path MedServe hands out.
    static let refusedFragments = ["..", "%2e", "%2f", "%5c", "%25", "%00", "%c0", "%c1", "%e0", "%ef", "\\", "//", "/./"]

    static func isSuspicious(rawPath: String) -> Bool {
        let lower = rawPath.lowercased()
        if refusedFragments.contains(where: { lower.contains($0) }) || lower.hasSuffix("/.") { return true }
        return rawPath.utf8.contains { $0 < 0x21 || $0 > 0x7e }
    }
}
