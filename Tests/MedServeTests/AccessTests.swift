import Foundation
@testable import MedServe
import Testing

/// Token, Host and Origin checks, and paths outside the roots.
@Suite(.serialized) struct AccessTests {
    @Test func tokenIsRequired() async throws {
        let h = try await Harness.get()
        let none = try await h.request("/api/status", auth: false)
        #expect(none.status == 403)
        #expect(none.json?["error"] as? String != nil)
        let wrong = try await h.request("/api/status", auth: false, headers: [("Authorization", "Bearer wrong-token-000000000")])
        #expect(wrong.status == 403)
        let page = try await h.request("/", auth: false)
        #expect(page.status == 403)
        #expect(!page.text.contains(h.token))
    }

    @Test func firstVisitSetsCookieAndDropsTheToken() async throws {
        let h = try await Harness.get()
        let first = try await h.request("/?token=\(h.token)", auth: false)
        #expect(first.status == 303)
        #expect(first.headers["location"] == "/")
        let cookie = try #require(first.headers["set-cookie"])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let pair = String(cookie.split(separator: ";")[0])
        #expect(pair == "medsr_token_\(h.port)=\(h.token)")
        let again = try await h.request("/", auth: false, headers: [("Cookie", pair)])
        #expect(again.status == 200)
        #expect(again.text.contains("/static/app.js"))
        let badCookie = try await h.request("/api/status", auth: false, headers: [("Cookie", "medsr_token_\(h.port)=nope")])
        #expect(badCookie.status == 403)
        let viaQuery = try await h.request("/api/status?token=\(h.token)", auth: false)
        #expect(viaQuery.status == 200)
    }

    @Test(arguments: ["evil.example:PORT", "evil.example", "127.0.0.1:1", "localhost.evil.example:PORT", "[::2]:PORT", "127.0.0.1:PORT@evil", ""])
    func foreignHostIsRefused(_ host: String) async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/api/status", host: host.replacingOccurrences(of: "PORT", with: String(h.port)))
        #expect(answer.status == 403 || answer.status == 400)
    }

    @Test(arguments: ["127.0.0.1:PORT", "localhost:PORT", "LOCALHOST:PORT", "127.0.0.1"])
    func ownHostIsAccepted(_ host: String) async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/api/status", host: host.replacingOccurrences(of: "PORT", with: String(h.port)))
        #expect(answer.status == 200)
    }

    @Test func originIsChecked() async throws {
        let h = try await Harness.get()
        for origin in ["http://evil.example", "http://127.0.0.1:1", "null", "https://127.0.0.1:\(h.port)", "http://localhost:\(h.port)/x"] {
            let answer = try await h.request("/api/status", headers: [("Origin", origin)])
            #expect(answer.status == 403, "\(origin)")
        }
        let same = try await h.request("/api/status", headers: [("Origin", "http://127.0.0.1:\(h.port)")])
        #expect(same.status == 200)
        let crossSite = try await h.request("/api/status", headers: [("Sec-Fetch-Site", "cross-site")])
        #expect(crossSite.status == 403)
    }

    /// Encodings of `..`, absolute paths, backslashes, NUL and look-alikes: all 404, none leaks.
    static let traversals: [String] = [
        "../outside/secret.txt", "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "%252e%252e%252fetc%252fpasswd", "..%252f..%252fetc%252fpasswd", "%2E%2E/%2E%2E/etc/passwd", "..%5c..%5cetc%5cpasswd",
        "..\\..\\etc\\passwd", "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "%c0%af..%c0%afetc", "..%c0%af..%c0%afetc%c0%afpasswd",
        "%e0%80%ae%e0%80%ae/etc/passwd", "..%00/etc/passwd", "%00../etc/passwd", "ds/../../outside/secret.txt", "ds/./zarr.json",
        "./ds/zarr.json", "ds//zarr.json", "/etc/passwd", "%2fetc%2fpasswd", "//etc/passwd", "escape/secret.txt", "escape.txt",
        "....//....//etc/passwd", "..;/..;/etc/passwd", "%u002e%u002e/etc/passwd", "\u{2024}\u{2024}/etc/passwd", "%e2%80%a4%e2%80%a4/etc/passwd",
        "%ef%bc%8e%ef%bc%8e/etc/passwd", "..%ef%bc%8fetc%ef%bc%8fpasswd", ".%2e/.%2e/etc/passwd", "%2e./%2e./etc/passwd", "ds/%2e%2e/%2e%2e/outside/secret.txt",
        "ds%2f..%2f..%2foutside%2fsecret.txt", "..%255c..%255cetc", "ds/zarr.json%00.png", ".hidden", "ds/.git/config", "C:\\Windows\\win.ini",
        "file:///etc/passwd", "ds/zarr.json/..", "runs/espcn/report.html/../../../outside/secret.txt",
    ]

    @Test func traversalIsRefusedEverywhere() async throws {
        let h = try await Harness.get()
        #expect(Self.traversals.count >= 30)
        for attempt in Self.traversals {
            let raw = attempt.unicodeScalars.map { $0.isASCII && $0.value > 0x20 && $0 != "\u{7f}" ? String($0) : String($0).addingPercentEncoding(withAllowedCharacters: []) ?? "" }.joined()
            for target in ["/files/0/\(raw)", "/files/\(raw)", "/static/\(raw)", "/api/dataset?id=0/\(raw)", "/api/run?id=0/\(raw)",
                           "/api/tiles?id=\(raw)", "/api/tile.png?id=0/\(raw)&index=0"] {
                let answer = try await h.request(target)
                #expect(answer.status == 404, "\(target) → \(answer.status)")
                #expect(!answer.text.contains("secret outside") && !answer.text.contains("root:"), "\(target)")
                #expect(!answer.text.contains(attempt) || attempt.count < 3, "the refusal echoes the path: \(target)")
            }
        }
        // The server still answers after all that.
        #expect(try await h.request("/api/status").status == 200)
    }

    @Test func plainPathsUnderTheRootAreServed() async throws {
        let h = try await Harness.get()
        let zarr = try await h.request("/files/0/ds/zarr.json")
        #expect(zarr.status == 200)
        #expect(zarr.text.contains("\"medsr\""))
        let report = try await h.request("/files/0/runs/espcn/report.html")
        #expect(report.status == 200)
        #expect(report.headers["content-security-policy"]?.hasPrefix("sandbox") == true)
        // Files of other kinds (model weights, MATLAB) are not served.
        #expect(try await h.request("/files/0/runs/espcn/model.safetensors").status == 404)
        #expect(try await h.request("/files/0/runs").status == 404)
    }

    @Test func rootFilesRules() async throws {
        let h = try await Harness.get()
        let files = RootFiles([h.root])
        #expect(files.resolve("0/ds") != nil)
        #expect(files.resolve("0") != nil)
        #expect(files.resolve("1/ds") == nil)
        #expect(files.resolve("00/ds") == nil)
        #expect(files.resolve("-0/ds") == nil)
        #expect(files.resolve("0/escape") == nil)
        #expect(files.resolve("0/ds/../ds") == nil)
        #expect(files.resolve("0/missing") == nil)
        #expect(RootFiles.isPlain("a/b.png"))
        #expect(!RootFiles.isPlain("a//b"))
        #expect(!RootFiles.isPlain("a/.b"))
        #expect(!RootFiles.isPlain("a/b\u{0}"))
    }

    @Test func optionsNeedATokenOffLoopback() {
        var o = ServeOptions(roots: [URL(fileURLWithPath: "/tmp")])
        o.host = "0.0.0.0"
        o.token = nil
        #expect(o.problems().contains { $0.contains("needs a token") })
        o.token = ServeOptions.randomToken()
        #expect(o.problems().isEmpty)
        #expect(o.token?.count == 48)
        o.host = "127.0.0.1"
        o.token = nil
        #expect(o.problems().isEmpty)
        o.token = "short"
        #expect(!o.problems().isEmpty)
    }
}
