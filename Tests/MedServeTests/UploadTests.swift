import Foundation
@testable import MedServe
import Testing
import TestSupport

/// Uploads: results, limits, bad and hostile files; the job limiter.
@Suite(.serialized) struct UploadTests {
    func bytes(_ fixture: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: FixturePath.url(fixture))) }

    @Test func uploadWithModelGivesInputBicubicAndOutput() async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/api/upload?name=2.mat&model=0/runs/espcn", method: "POST", body: try bytes("mat/figshare/2.mat"))
        #expect(answer.status == 200, "\(answer.text)")
        let json = try #require(answer.json)
        #expect(json["scale"] as? Int == 2)
        let size = try #require(json["size"] as? [Int])
        for (key, factor) in [("input", 1), ("bicubic", 2), ("output", 2)] {
            let url = try #require(json[key] as? String)
            let image = try await h.request(url)
            #expect(image.status == 200)
            #expect(pngSize(image.body).map { [$0.0, $0.1] } == size.map { $0 * factor })
        }
        let download = try await h.request((json["output"] as? String ?? "") + "?download=1")
        #expect(download.headers["content-disposition"]?.contains("attachment") == true)
        // The private folder holds the PNGs, not the uploaded file.
        let id = try #require(json["id"] as? String)
        let folder = h.server.uploadFolder.appendingPathComponent(id)
        let kept = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(kept == ["bicubic.png", "input.png", "output.png"])
        let mode = try FileManager.default.attributesOfItem(atPath: h.server.uploadFolder.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test func dicomUploadWithModelGivesADeidentifiedDICOM() async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/api/upload?name=ct.dcm&model=0/runs/espcn", method: "POST", body: try bytes("dicom/deid/phi_ct.dcm"))
        #expect(answer.status == 200, "\(answer.text)")
        let url = try #require(answer.json?["dicom"] as? String)
        let dicom = try await h.request(url)
        #expect(dicom.status == 200)
        #expect(dicom.headers["content-type"] == "application/dicom")
        #expect(dicom.body.count > 132 && Array(dicom.body[128 ..< 132]) == Array("DICM".utf8))
        // The source's names, dates and institution are gone (the cli_check list for this fixture).
        for value in ["SIMPSON", "HIBBARD", "SPRINGFIELD", "Evergreen"] {
            #expect(!dicom.text.contains(value), "\(value)")
            #expect(!answer.text.contains(value), "\(value)")
        }
    }

    @Test func uploadWithoutModelAndPHIHidden() async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/api/upload?name=a.dcm&scale=3", method: "POST", body: try bytes("dicom/series/a.dcm"))
        #expect(answer.status == 200, "\(answer.text)")
        #expect(answer.json?["scale"] as? Int == 3)
        #expect(answer.json?["output"] == nil)
        #expect(!answer.text.contains("PHI-CANARY") && !answer.text.contains("Canary"))
        #expect((answer.json?["description"] as? [String: Any])?["format"] as? String == "dicom")
    }

    @Test func badUploadsGiveOneJSONError() async throws {
        let h = try await Harness.get()
        let junk = try await h.request("/api/upload?name=x.png", method: "POST", body: Array("this is not an image at all".utf8))
        #expect(junk.status == 422)
        #expect(junk.json?["error"] as? String != nil)
        let message = junk.json?["error"] as? String ?? ""
        #expect(!message.contains(h.server.uploadFolder.path))
        let empty = try await h.request("/api/upload?name=x.png", method: "POST")
        #expect(empty.status == 400)
        let big = try await h.request("/api/upload?name=x.png", method: "POST", body: [UInt8](repeating: 7, count: (1 << 20) + 10))
        #expect(big.status == 413)
        #expect(try await h.request("/api/upload?name=x.png&model=0/ds", method: "POST", body: [1]).status == 404)
        #expect(try await h.request("/api/upload?name=x.png&scale=99", method: "POST", body: [1]).status == 400)
        #expect(try await h.request("/api/upload/00000000-0000-0000-0000-000000000000/input.png").status == 404)
        #expect(try await h.request("/api/upload/..%2f..%2fetc/input.png").status == 404)
        // Nothing is left of refused uploads.
        let left = try FileManager.default.contentsOfDirectory(atPath: h.server.uploadFolder.path)
        for id in left {
            let files = try FileManager.default.contentsOfDirectory(atPath: h.server.uploadFolder.appendingPathComponent(id).path)
            #expect(files.contains("input.png"), "an upload folder without a result: \(files)")
        }
    }

    @Test(arguments: ["mat/hostile/hdf5_stab_crash.mat", "mat/hostile/hdf5_runaway_allocation.mat", "mat/hostile/struct_null_data.mat"])
    func hostileFilesNeverTakeTheServerDown(_ fixture: String) async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/api/upload?name=h.mat", method: "POST", body: try bytes(fixture))
        #expect((400 ..< 500).contains(answer.status), "\(answer.status) \(answer.text)")
        #expect(answer.json?["error"] as? String != nil)
        #expect(try await h.request("/api/status").status == 200)
    }

    @Test func limiterRefusesBeyondItsQueue() async throws {
        let limiter = JobLimiter(slots: 1, queueLimit: 1)
        let gate = DispatchSemaphore(value: 0)
        let first = Task { try await limiter.run { gate.wait(); return 1 } }
        while limiter.load.running < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let second = Task { try await limiter.run { 2 } }
        while limiter.load.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: ServeError.self) { try await limiter.run { 3 } }
        gate.signal()
        #expect(try await first.value == 1)
        #expect(try await second.value == 2)
        #expect(limiter.load.running == 0 && limiter.load.waiting == 0)
    }
}
