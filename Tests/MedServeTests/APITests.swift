import Foundation
import MedDataset
import MedEvaluation
import MedMetrics
@testable import MedServe
import MedNN
import Testing
import TestSupport

/// Every endpoint of Web/openapi.json, answers and errors.
@Suite(.serialized) struct APITests {
    @Test func openAPIDocumentListsTheEndpointsTested() async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/openapi.json")
        #expect(answer.status == 200)
        let paths = try #require(answer.json?["paths"] as? [String: Any])
        let tested: Set<String> = ["/", "/static/{file}", "/openapi.json", "/api/status", "/api/datasets", "/api/dataset", "/api/tiles",
                                   "/api/tile.png", "/api/compare", "/api/runs", "/api/run", "/api/run/events", "/files/{path}",
                                   "/api/upload", "/api/upload/{id}/{image}"]
        #expect(Set(paths.keys) == tested)
    }

    @Test func staticFiles() async throws {
        let h = try await Harness.get()
        let js = try await h.request("/static/app.js")
        #expect(js.status == 200)
        #expect(js.headers["content-type"]?.hasPrefix("text/javascript") == true)
        #expect(try await h.request("/static/app.css").status == 200)
        #expect(try await h.request("/static/missing.js").status == 404)
        #expect(try await h.request("/static/model.safetensors").status == 404)
        let page = try await h.request("/")
        #expect(page.headers["content-security-policy"]?.contains("default-src 'self'") == true)
        #expect(page.headers["cache-control"] == "no-store")
        #expect(try await h.request("/no/such/route").status == 404)
    }

    @Test func statusAndDatasets() async throws {
        let h = try await Harness.get()
        let status = try #require(try await h.request("/api/status").json)
        #expect(status["roots"] as? Int == 1)
        #expect((status["jobs"] as? [String: Any])?["slots"] as? Int == 1)
        let list = try await h.request("/api/datasets")
        #expect(list.status == 200)
        let datasets = try #require(list.json?["datasets"] as? [[String: Any]])
        #expect(datasets.map { $0["id"] as? String } == ["0/ds"])
        #expect(datasets[0]["recipe"] as? String == "figshare-brain-tumour")
        #expect(!list.text.contains(".mat"), "source file names only with --show-phi")
    }

    @Test func datasetCard() async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/api/dataset?id=0/ds")
        #expect(answer.status == 200)
        let splits = try #require(answer.json?["splits"] as? [[String: Any]])
        let d = try Dataset(root: h.root.appendingPathComponent("ds"))
        for split in splits {
            let name = try #require(split["name"] as? String)
            #expect(split["tiles"] as? Int == TileRenderer.count(d, split: name))
        }
        #expect(try await h.request("/api/dataset").status == 400)
        #expect(try await h.request("/api/dataset?id=0/runs").status == 404)
        #expect(try await h.request("/api/dataset?id=7/ds").status == 404)
    }

    @Test func tileListingAndFilters() async throws {
        let h = try await Harness.get()
        let d = try Dataset(root: h.root.appendingPathComponent("ds"))
        let rows = try d.manifest(split: "train")
        let all = try #require(try await h.request("/api/tiles?id=0/ds&split=train&limit=1000").json)
        #expect(all["total"] as? Int == rows.count)
        let tiles = try #require(all["tiles"] as? [[String: Any]])
        #expect(tiles.count == rows.count)
        let label = try #require(rows.first?["label"])
        let byLabel = try #require(try await h.request("/api/tiles?id=0/ds&split=train&label=\(label)").json)
        #expect(byLabel["total"] as? Int == rows.filter { $0["label"] == label }.count)
        let patient = try #require(rows.first?["patient"])
        let byPatient = try #require(try await h.request("/api/tiles?id=0/ds&split=train&patient=\(patient)").json)
        #expect(byPatient["total"] as? Int == rows.filter { $0["patient"] == patient }.count)
        let masked = try #require(try await h.request("/api/tiles?id=0/ds&split=train&minMask=0.05").json)
        #expect(masked["total"] as? Int == rows.filter { (Double($0["mask_fraction"] ?? "") ?? 0) >= 0.05 }.count)
        let page = try #require(try await h.request("/api/tiles?id=0/ds&split=train&offset=1&limit=1").json)
        #expect((page["tiles"] as? [[String: Any]])?.first?["index"] as? Int == Int(rows[1]["index"] ?? ""))
        #expect(try await h.request("/api/tiles?id=0/ds&split=nope").status == 400)
        #expect(try await h.request("/api/tiles?id=0/ds&limit=0").status == 400)
        #expect(try await h.request("/api/tiles?id=0/ds&minMask=abc").status == 400)
    }

    @Test(arguments: [("hr", 1, 128), ("lr", 1, 32), ("bicubic", 1, 128), ("sharpened", 1, 128), ("mask", 1, 128), ("diff", 1, 128),
                      ("ssim", 1, 128), ("hr", 2, 256), ("lr", 4, 128)])
    func tileImages(_ kind: String, _ zoom: Int, _ side: Int) async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/api/tile.png?id=0/ds&split=train&index=0&scale=4&kind=\(kind)&zoom=\(zoom)")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "image/png")
        let size = try #require(pngSize(answer.body))
        #expect(size == (side, side))
    }

    @Test func tileValuesMatchTheDataset() async throws {
        // The HR tile PNG (full range window) holds the dataset's own 8-bit values.
        let h = try await Harness.get()
        let answer = try await h.request("/api/tile.png?id=0/ds&split=train&index=1&kind=hr")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-serve-hr-\(UUID().uuidString).png")
        try Data(answer.body).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let png = try MedIOAccess.read(file)
        let d = try Dataset(root: h.root.appendingPathComponent("ds"))
        let tile = try d.tilePixels(try d.array("train", "hr"), 1)
        #expect(png.samples == tile.samples)
    }

    @Test func modelTilesAndErrors() async throws {
        let h = try await Harness.get()
        let model = try await h.request("/api/tile.png?id=0/ds&split=train&index=0&scale=2&kind=model&model=0/runs/espcn")
        #expect(model.status == 200)
        #expect(pngSize(model.body)! == (128, 128))
        let diff = try await h.request("/api/tile.png?id=0/ds&split=train&index=0&scale=2&kind=diff&of=model&model=0/runs/espcn&download=1")
        #expect(diff.status == 200)
        #expect(diff.headers["content-disposition"]?.hasPrefix("attachment") == true)
        // ×2 model on a ×4 view, a kind without a model, unknown kind, index out of range, bad window, big zoom.
        #expect(try await h.request("/api/tile.png?id=0/ds&index=0&scale=4&kind=model&model=0/runs/espcn").status == 400)
        #expect(try await h.request("/api/tile.png?id=0/ds&index=0&kind=model").status == 400)
        #expect(try await h.request("/api/tile.png?id=0/ds&index=0&kind=thumbnail").status == 400)
        #expect(try await h.request("/api/tile.png?id=0/ds&index=99999&kind=hr").status == 404)
        #expect(try await h.request("/api/tile.png?id=0/ds&index=-1&kind=hr").status == 400)
        #expect(try await h.request("/api/tile.png?id=0/ds&index=0&kind=hr&lo=10&hi=5").status == 400)
        #expect(try await h.request("/api/tile.png?id=0/ds&index=0&kind=hr&zoom=9").status == 400)
        #expect(try await h.request("/api/tile.png?id=0/ds&index=0&kind=hr&scale=3").status == 400)
        #expect(try await h.request("/api/tile.png?id=0/ds&index=0&kind=model&model=0/ds&scale=2").status == 422)
        let windowed = try await h.request("/api/tile.png?id=0/ds&index=0&kind=hr&lo=50&hi=150")
        let plain = try await h.request("/api/tile.png?id=0/ds&index=0&kind=hr")
        #expect(windowed.status == 200 && windowed.body != plain.body)
    }

    @Test func compareMatchesTheEvaluator() async throws {
        let h = try await Harness.get()
        let answer = try await h.request("/api/compare?id=0/ds&split=train&index=0&scale=2&model=0/runs/espcn")
        #expect(answer.status == 200)
        let methods = try #require(answer.json?["methods"] as? [[String: Any]])
        #expect(methods.compactMap { $0["method"] as? String } == ["bicubic", "sharpened", "model"])
        var evaluator = DatasetEvaluator(dataset: try Dataset(root: h.root.appendingPathComponent("ds")), split: "train", scale: 2)
        evaluator.model = try EnhancementModel(path: h.root.appendingPathComponent("runs/espcn").path)
        let expected = try evaluator.score(0)
        for (m, name) in zip(methods, ["bicubic", "sharpen", "model"]) {
            let score = try #require(expected.scores[name])
            #expect(abs((m["psnr"] as? Double ?? 0) - score.psnr) < 1e-9)
            #expect(abs((m["ssim"] as? Double ?? 0) - score.ssim) < 1e-9)
            if let inside = score.ssimMask, inside.value.isFinite { #expect(abs((m["ssimInside"] as? Double ?? -9) - inside.value) < 1e-9) }
        }
        let plain = try #require(try await h.request("/api/compare?id=0/ds&split=train&index=0&scale=4").json)
        #expect((plain["methods"] as? [[String: Any]])?.count == 2)
        #expect(try await h.request("/api/compare?id=0/ds&split=train&index=100000").status == 404)
        #expect(try await h.request("/api/compare?id=0/ds&split=train").status == 400)
    }

    @Test func runsAndLiveMetrics() async throws {
        let h = try await Harness.get()
        let runs = try #require(try await h.request("/api/runs").json?["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        #expect(runs[0]["id"] as? String == "0/runs/espcn")
        #expect((runs[0]["model"] as? [String: Any])?["scale"] as? Int == 2)
        let run = try #require(try await h.request("/api/run?id=0/runs/espcn").json)
        #expect(run["columns"] as? [String] == ["step", "loss", "val_psnr"])
        #expect((run["rows"] as? [[Any]])?.count == 2)
        #expect((run["files"] as? [String])?.contains("/files/0/runs/espcn/report.html") == true)
        #expect(try await h.request("/api/run?id=0/ds").status == 404)
        #expect(try await h.request("/api/run").status == 400)
        #expect(try await h.request("/api/run/events?id=0/ds").status == 404)
        // Server-sent events: the two rows, then a third appended while the stream is open.
        let metrics = h.root.appendingPathComponent("runs/espcn/metrics.csv")
        let events = try await h.events("/api/run/events?id=0/runs/espcn&from=0", count: 3) {
            let handle = try? FileHandle(forWritingTo: metrics)
            _ = try? handle?.seekToEnd()
            try? handle?.write(contentsOf: Data("3,0.3,21.25\n".utf8))
            try? handle?.close()
        }
        #expect(events.count == 3)
        #expect(events.last?.contains("21.25") == true)
    }
}

/// PNG reading for the tests (MedIO is the reader the server uses too).
import MedIO
import MedImage
enum MedIOAccess {
    static func read(_ url: URL) throws -> PixelArray { try PNGCodec.read(path: url.path).pixels }
}
