import Foundation
import MedDataset
@testable import MedServe
import TestSupport

/// A live server on port 0 over a small root: the figshare fixture dataset, a run with the ESPCN
/// ×2 fixture model and a metrics.csv, a report and a symlink that points outside the root.
final class Harness: @unchecked Sendable {
    let root: URL
    let outside: URL
    let server: MedServer
    var task: Task<Void, any Error>?
    let token = "test-token-0123456789"
    var port: Int { server.port }

    /// One server for all suites, started once (without blocking a cooperative thread).
    actor Store {
        var starting: Task<Harness, any Error>?
        func get() async throws -> Harness {
            if let starting { return try await starting.value }
            let t = Task { try await Harness.start() }
            starting = t
            return try await t.value
        }
    }

    static let store = Store()

    static func get() async throws -> Harness { try await store.get() }

    static func start() async throws -> Harness {
        let h = try Harness()
        let s = h.server
        let stream = AsyncStream<Void> { continuation in
            h.task = Task { try await s.run { _ in continuation.yield(); continuation.finish() } }
        }
        for await _ in stream { return h }
        throw HarnessError(message: "the server did not start")
    }

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-serve-tests-\(UUID().uuidString.prefix(8))")
        root = base.appendingPathComponent("root")
        outside = base.appendingPathComponent("outside")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("runs/espcn"), withIntermediateDirectories: true)
        try fm.createDirectory(at: outside, withIntermediateDirectories: true)
        try "secret outside the root\n".write(to: outside.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(at: root.appendingPathComponent("escape"), withDestinationURL: outside)
        try fm.createSymbolicLink(at: root.appendingPathComponent("escape.txt"), withDestinationURL: outside.appendingPathComponent("secret.txt"))
        // The dataset, built by the library from the committed MATLAB fixtures.
        var recipe = try Recipe.load(FixturePath.root.deletingLastPathComponent().appendingPathComponent("Manifests/figshare-brain-tumour.json").path)
        recipe.tile = 128
        recipe.stride = 128
        recipe.unitSize = 2
        recipe.tilesPerShard = 4
        var build = BuildOptions(recipe: recipe, input: FixturePath.url("mat/figshare"), output: root.appendingPathComponent("ds"))
        build.jobs = 1
        _ = try DatasetBuilder.build(build)
        let run = root.appendingPathComponent("runs/espcn")
        try fm.copyItem(at: FixturePath.url("nn/espcn_x2.safetensors"), to: run.appendingPathComponent("model.safetensors"))
        try "step,loss,val_psnr\n1,0.5,\n2,0.4,20.5\n".write(to: run.appendingPathComponent("metrics.csv"), atomically: true, encoding: .utf8)
        try "<html><script>alert(1)</script>report</html>\n".write(to: run.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)

        var options = ServeOptions(roots: [root])
        options.port = 0
        options.token = token
        options.jobs = 1
        options.queueLimit = 2
        options.maxUploadBytes = 1 << 20
        options.logRequests = false
        options.webRoot = FixturePath.root.deletingLastPathComponent().appendingPathComponent("Sources/MedServe/Web")
        // The medsr executable beside the test bundle (swift test builds it).
        let exe = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("medsr")
        let candidates = [exe, Bundle.main.bundleURL.appendingPathComponent("medsr"),
                          FixturePath.root.deletingLastPathComponent().appendingPathComponent(".build/debug/medsr")]
        options.helper = candidates.first { fm.isExecutableFile(atPath: $0.path) }
        server = try MedServer(options: options)
    }

    struct HarnessError: Error { var message: String }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    }

    /// One request over a plain socket, sent byte for byte (no client-side path normalisation).
    /// - Parameters: `auth`: send the token as a bearer header; `host`: nil sends 127.0.0.1:PORT.
    func request(_ target: String, method: String = "GET", auth: Bool = true, host: String? = nil,
                 headers: [(String, String)] = [], body: [UInt8] = []) async throws -> Answer {
        let port = self.port, token = self.token
        return try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                c.resume(with: Result {
                    var head = "\(method) \(target) HTTP/1.1\r\n"
                    head += "Host: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
                    if auth { head += "Authorization: Bearer \(token)\r\n" }
                    for (k, v) in headers { head += "\(k): \(v)\r\n" }
                    if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
                    head += "\r\n"
                    return try Self.exchange(port: port, bytes: Array(head.utf8) + body)
                })
            }
        }
    }

    static func exchange(port: Int, bytes: [UInt8]) throws -> Answer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError(message: "socket") }
        defer { close(fd) }
        var tv = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { throw HarnessError(message: "connect") }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may answer (413) and close before reading everything
            sent += n
        }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0 ..< n]
        }
        return try parse(response)
    }

    static func parse(_ response: [UInt8]) throws -> Answer {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0 ..< max(0, response.count - 3)).first(where: { Array(response[$0 ..< $0 + 4]) == separator }) else {
            throw HarnessError(message: "no HTTP answer (\(response.count) bytes)")
        }
        let lines = String(decoding: response[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers = [String: String]()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(response[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Answer(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](), i = 0
        while i < data.count {
            guard let lineEnd = (i ..< data.count - 1).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }),
                  let size = Int(String(decoding: data[i ..< lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16), size > 0 else { break }
            let start = lineEnd + 2
            out += data[start ..< min(start + size, data.count)]
            i = start + size + 2
        }
        return out
    }
}

extension Harness {
    /// Reads a server-sent event stream until `count` events named `metrics` came (or `seconds`
    /// passed), calling `during` once the first event arrived.
    func events(_ target: String, count: Int, seconds: Int = 20, during: @escaping @Sendable () -> Void = {}) async throws -> [String] {
        let port = self.port, token = self.token
        return try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var tv = timeval(tv_sec: seconds, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(port).bigEndian)
                addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                let head = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n\r\n"
                _ = Array(head.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var text = "", calledBack = false
                var buffer = [UInt8](repeating: 0, count: 8192)
                let deadline = Date().addingTimeInterval(Double(seconds))
                while Date() < deadline {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    text += String(decoding: buffer[0 ..< n], as: UTF8.self)
                    let found = text.components(separatedBy: "event: metrics").count - 1
                    if found >= 1 && !calledBack { calledBack = true; during() }
                    if found >= count { break }
                }
                c.resume(returning: text.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") })
            }
        }
    }
}

/// Width and height from a PNG's IHDR.
func pngSize(_ bytes: [UInt8]) -> (Int, Int)? {
    guard bytes.count > 24, bytes[1 ... 3] == [0x50, 0x4e, 0x47] else { return nil }
    func be(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
    return (be(16), be(20))
}
