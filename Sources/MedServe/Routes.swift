import Foundation
import HTTPTypes
import Hummingbird
import MedDataset
import MedEvaluation
import MedImage
import MedMetrics
import MedNN
import NIOCore
import ServiceLifecycle
import Zarr

/// The HTTP API (described in Web/openapi.json) and the page's static files.
struct Routes: Sendable {
    let state: ServerState

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in try self.staticFile("index.html") }
        router.get("/index.html") { _, _ in try self.staticFile("index.html") }
        router.get("/static/:file") { _, context in try self.staticFile(context.parameters.get("file") ?? "") }
        router.get("/openapi.json") { _, _ in try self.staticFile("openapi.json") }
        router.get("/api/status") { _, _ in self.status() }
        router.get("/api/datasets") { _, _ in try await self.datasets() }
        router.get("/api/dataset") { request, _ in try await self.dataset(request) }
        router.get("/api/tiles") { request, _ in try await self.tiles(request) }
        router.get("/api/tile.png") { request, _ in try await self.tile(request) }
        router.get("/api/compare") { request, _ in try await self.compare(request) }
        router.get("/api/runs") { _, _ in try await self.runs() }
        router.get("/api/run") { request, _ in try await self.run(request) }
        router.get("/api/run/events") { request, _ in try self.events(request) }
        router.get("/files/**") { request, _ in try self.file(request) }
        router.post("/api/upload") { request, _ in try await self.upload(request) }
        router.get("/api/upload/:id/:image") { request, context in
            try self.uploadImage(request, id: context.parameters.get("id") ?? "", image: context.parameters.get("image") ?? "")
        }
    }

    // MARK: Parameters

    func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    func int(_ request: Request, _ name: String, default value: Int? = nil, range: ClosedRange<Int>) throws -> Int {
        guard let text = query(request, name) else {
            if let value { return value }
            throw ServeError.bad("\(name): required")
        }
        guard let v = Int(text), range.contains(v) else { throw ServeError.bad("\(name): a whole number in \(range.lowerBound)…\(range.upperBound)") }
        return v
    }

    func double(_ request: Request, _ name: String) throws -> Double? {
        guard let text = query(request, name) else { return nil }
        guard let v = Double(text), v.isFinite else { throw ServeError.bad("\(name): a number") }
        return v
    }

    /// Off the server's own threads (reading tiles, PNG encoding are blocking work).
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try body() }) } }
    }

    // MARK: Static files

    static let staticTypes = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
                              "css": "text/css; charset=utf-8", "json": "application/json; charset=utf-8", "svg": "image/svg+xml"]

    func staticFile(_ name: String) throws -> Response {
        let ext = (name as NSString).pathExtension
        guard let root = state.options.webRoot, let type = Self.staticTypes[ext],
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }), !name.hasPrefix("."),
              let data = FileManager.default.contents(atPath: root.appendingPathComponent(name).path) else {
            throw ServeError.notFound("file")
        }
        return Reply.bytes([UInt8](data), type: type)
    }

    // MARK: Status and catalogue

    func status() -> Response {
        let load = state.limiter.load
        return Reply.json(.object([
            ("name", .string("medsr serve")), ("roots", .int(state.files.roots.count)),
            ("jobs", .object([("slots", .int(state.options.jobs)), ("running", .int(load.running)), ("waiting", .int(load.waiting)),
                              ("queueLimit", .int(state.options.queueLimit))])),
            ("maxUploadBytes", .int(state.options.maxUploadBytes)), ("showPHI", .bool(state.options.showPHI)),
            ("uploads", .bool(state.options.helper != nil)),
        ]))
    }

    func datasets() async throws -> Response {
        let files = state.files
        let catalog = try await blocking { Catalog.scan(files) }
        var items = [JSONValue]()
        for entry in catalog.datasets {
            guard let url = files.resolve(entry.id), let d = try? state.renderer.dataset(url, id: entry.id) else { continue }
            items.append(.object([("id", .string(entry.id)), ("name", .string(entry.name))] + Self.cardSummary(d)))
        }
        return Reply.json(.object([("datasets", .array(items))]))
    }

    /// The card fields the UI shows (no skipped-input paths unless --show-phi: they are source file names).
    static func cardSummary(_ d: Dataset) -> [(String, JSONValue)] {
        let c = d.card
        var out: [(String, JSONValue)] = []
        for key in ["recipe", "source", "tile", "dtype", "channels", "scales", "masks", "mask_names", "intensity", "degradation", "split", "counts", "warnings", "synthetic"] {
            if let v = c[key] { out.append((key, v)) }
        }
        out.append(("skippedInputs", .int(c["skipped"]?.arrayValue?.count ?? 0)))
        return out
    }

    func dataset(_ request: Request) async throws -> Response {
        let id = query(request, "id")
        let url = try state.resolve(id, what: "dataset")
        guard let id, Dataset.isDataset(url) else { throw ServeError.notFound("dataset") }
        let renderer = state.renderer
        let showPHI = state.options.showPHI
        return try await blocking {
            let d = try renderer.dataset(url, id: id)
            var members: [(String, JSONValue)] = [("id", .string(id))] + Self.cardSummary(d)
            var splits = [JSONValue]()
            for split in SplitReport.splitNames {
                let rows = (try? d.manifest(split: split)) ?? []
                let labels = Set(rows.compactMap { $0["label"] }).sorted()
                let patients = Set(rows.compactMap { $0["patient"] }).count
                splits.append(.object([("name", .string(split)), ("tiles", .int(TileRenderer.count(d, split: split))),
                                       ("patients", .int(patients)), ("labels", .array(labels.map(JSONValue.string)))]))
            }
            members.append(("splits", .array(splits)))
            if showPHI, let skipped = d.card["skipped"] { members.append(("skipped", skipped)) }
            return Reply.json(.object(members))
        }
    }

    func tiles(_ request: Request) async throws -> Response {
        let id = query(request, "id")
        let url = try state.resolve(id, what: "dataset")
        guard let id else { throw ServeError.notFound("dataset") }
        let split = query(request, "split") ?? "train"
        guard SplitReport.splitNames.contains(split) else { throw ServeError.bad("split: one of \(SplitReport.splitNames.joined(separator: ", "))") }
        let label = query(request, "label"), patient = query(request, "patient")
        let minMask = try double(request, "minMask") ?? 0, maxMask = try double(request, "maxMask") ?? 1
        let offset = try int(request, "offset", default: 0, range: 0 ... 10_000_000)
        let limit = try int(request, "limit", default: 100, range: 1 ... 1000)
        let renderer = state.renderer, showPHI = state.options.showPHI
        return try await blocking {
            let d = try renderer.dataset(url, id: id)
            let rows = try d.manifest(split: split).filter { row in
                let fraction = Double(row["mask_fraction"] ?? "") ?? 0
                return (label == nil || label == "" || row["label"] == label) && (patient == nil || patient == "" || row["patient"] == patient)
                    && fraction >= minMask && fraction <= maxMask
            }
            let page = rows.dropFirst(offset).prefix(limit).map { row -> JSONValue in
                var m: [(String, JSONValue)] = [("index", .int(Int(row["index"] ?? "") ?? -1)), ("label", .string(row["label"] ?? "")),
                                                ("patient", .string(row["patient"] ?? "")),
                                                ("maskFraction", .double(Double(row["mask_fraction"] ?? "") ?? 0)),
                                                ("frame", .int(Int(row["frame"] ?? "") ?? 0)), ("x", .int(Int(row["x"] ?? "") ?? 0)),
                                                ("y", .int(Int(row["y"] ?? "") ?? 0))]
                if showPHI { m.append(("source", .string(row["source"] ?? ""))) }
                return .object(m)
            }
            return Reply.json(.object([("split", .string(split)), ("total", .int(rows.count)), ("offset", .int(offset)), ("tiles", .array(Array(page)))]))
        }
    }

    // MARK: Tiles and metrics

    /// The dataset, tile and model of a tile or compare request, checked.
    func tileContext(_ request: Request) throws -> (Dataset, TileRequest, EnhancementModel?) {
        let id = query(request, "id")
        let url = try state.resolve(id, what: "dataset")
        guard let id, Dataset.isDataset(url) else { throw ServeError.notFound("dataset") }
        let d = try state.renderer.dataset(url, id: id)
        let split = query(request, "split") ?? "train"
        guard SplitReport.splitNames.contains(split) else { throw ServeError.bad("split: one of \(SplitReport.splitNames.joined(separator: ", "))") }
        let count = TileRenderer.count(d, split: split)
        let index = try int(request, "index", range: 0 ... Int(Int32.max))
        guard index < count else { throw ServeError.notFound("tile \(index) of \(split)") }
        let scale = try int(request, "scale", default: d.scales.first ?? 2, range: 1 ... 16)
        guard d.scales.contains(scale) else { throw ServeError.bad("scale: the dataset has \(d.scales.map { "×\($0)" }.joined(separator: ", "))") }
        let kindName = query(request, "kind") ?? "hr"
        guard let kind = TileRequest.Kind(rawValue: kindName) else {
            throw ServeError.bad("kind: one of \(TileRequest.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var r = TileRequest(dataset: id, split: split, index: index, kind: kind, scale: scale)
        r.of = query(request, "of") ?? "bicubic"
        guard ["bicubic", "sharpened", "model"].contains(r.of) else { throw ServeError.bad("of: bicubic, sharpened or model") }
        r.maskIndex = try int(request, "mask", default: 0, range: 0 ... 255)
        r.zoom = try int(request, "zoom", default: 1, range: 1 ... 8)
        r.gain = try double(request, "gain") ?? 4
        guard r.gain > 0 && r.gain <= 1000 else { throw ServeError.bad("gain: 0…1000") }
        if let lo = try double(request, "lo"), let hi = try double(request, "hi") {
            guard hi > lo else { throw ServeError.bad("window: hi must exceed lo") }
            r.window = Window(center: (lo + hi) / 2, width: hi - lo)
        }
        if kind == .mask && !d.hasMasks { throw ServeError.notFound("mask") }
        var model: EnhancementModel?
        if let run = query(request, "model"), !run.isEmpty {
            let folder = try state.resolve(run, what: "model")
            do { model = try state.models.model(at: folder) } catch {
                throw ServeError(status: .unprocessableContent, message: "the model cannot be loaded: \(Self.withoutPaths(error, folder))")
            }
            let channels = d.card["channels"]?.intValue ?? 1, top: Double = d.card["dtype"]?.stringValue == "uint16" ? 65535 : 255
            guard let m = model, m.scale == scale, m.channels == channels, m.dataMax == top else {
                throw ServeError.bad("the model is ×\(model?.scale ?? 0) for \(model?.channels ?? 0) channel(s); this dataset view is ×\(scale), \(channels) channel(s)")
            }
            r.model = run
        } else if kind == .model || r.of == "model" {
            throw ServeError.bad("model: give a run id (see /api/runs)")
        }
        let tiles = r.zoom * r.zoom * (d.card["tile"]?.intValue ?? 256) * (d.card["tile"]?.intValue ?? 256)
        guard tiles <= 4096 * 4096 else { throw ServeError.bad("zoom: the image would exceed 4096² pixels") }
        return (d, r, model)
    }

    /// An error's text with a folder's path removed (the UI names runs by id).
    static func withoutPaths(_ error: any Error, _ folder: URL) -> String {
        String(describing: error).replacingOccurrences(of: folder.path, with: "run")
    }

    func tile(_ request: Request) async throws -> Response {
        let (d, r, model) = try tileContext(request)
        let renderer = state.renderer
        let work: @Sendable () throws -> [UInt8] = { try renderer.png(r, dataset: d, model: model) }
        // A model run takes a job slot; the rest is quick and bounded by the tile size.
        let png = needsModel(r) ? try await state.limiter.run(work) : try await blocking(work)
        let download = query(request, "download") == "1" ? "\(r.split)_\(r.index)_\(r.kind.rawValue).png" : nil
        return Reply.png(png, download: download)
    }

    func needsModel(_ r: TileRequest) -> Bool {
        r.model != nil && ![.hr, .lr, .mask].contains(r.kind)
    }

    func compare(_ request: Request) async throws -> Response {
        let (d, r, model) = try tileContext(request)
        let work: @Sendable () throws -> JSONValue = {
            var evaluator = DatasetEvaluator(dataset: d, split: r.split, scale: r.scale)
            evaluator.model = model
            evaluator.threads = 1
            let result = try evaluator.score(r.index)
            func region(_ v: RegionValue?) -> JSONValue { v.map { $0.value.isFinite ? .double($0.value) : .null } ?? .null }
            let methods = result.methods.map { name -> JSONValue in
                let s = result.scores[name]
                return .object([("method", .string(name == "sharpen" ? "sharpened" : name)), ("psnr", .double(s?.psnr ?? .nan)),
                                ("ssim", .double(s?.ssim ?? .nan)), ("ssimInside", region(s?.ssimMask)),
                                ("ssimOutside", region(s?.ssimBackground))])
            }
            return .object([("split", .string(r.split)), ("index", .int(r.index)), ("scale", .int(r.scale)), ("label", .string(result.label)),
                            ("maskFraction", .double(result.maskFraction)), ("methods", .array(methods))])
        }
        return Reply.json(model == nil ? try await blocking(work) : try await state.limiter.run(work))
    }

    // MARK: Runs

    func runs() async throws -> Response {
        let files = state.files
        let catalog = try await blocking { Catalog.scan(files) }
        let items = catalog.runs.map { entry -> JSONValue in
            var m: [(String, JSONValue)] = [("id", .string(entry.id)), ("name", .string(entry.name))]
            if let url = files.resolve(entry.id) {
                if let model = try? state.models.model(at: url) { m.append(("model", ModelAdapter.summary(model))) }
                let metrics = url.appendingPathComponent("metrics.csv")
                m.append(("hasMetrics", .bool(FileManager.default.fileExists(atPath: metrics.path))))
                m.append(("hasReport", .bool(FileManager.default.fileExists(atPath: url.appendingPathComponent("report.html").path))))
            }
            return .object(m)
        }
        return Reply.json(.object([("runs", .array(items))]))
    }

    /// A run's metrics.csv as columns and numeric rows (empty cells as null).
    static func metrics(_ url: URL, from offset: Int = 0) -> (columns: [String], rows: [JSONValue], end: Int) {
        guard let data = FileManager.default.contents(atPath: url.appendingPathComponent("metrics.csv").path) else { return ([], [], 0) }
        // Only complete lines (training may be writing the last one).
        let end = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        let text = String(decoding: data.prefix(end), as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first else { return ([], [], end) }
        let columns = header.split(separator: ",").map(String.init)
        var skip = 0
        if offset > 0 { skip = String(decoding: data.prefix(min(offset, end)), as: UTF8.self).split(whereSeparator: \.isNewline).count - 1 }
        let rows = lines.dropFirst().dropFirst(max(0, skip)).map { line -> JSONValue in
            .array(line.split(separator: ",", omittingEmptySubsequences: false).map { Double($0).map(JSONValue.double) ?? .null })
        }
        return (columns, Array(rows), end)
    }

    func run(_ request: Request) async throws -> Response {
        let id = query(request, "id")
        let url = try state.resolve(id, what: "run")
        guard let id, FileManager.default.fileExists(atPath: url.appendingPathComponent("model.safetensors").path) else {
            throw ServeError.notFound("run")
        }
        let m = Self.metrics(url)
        var members: [(String, JSONValue)] = [("id", .string(id)), ("columns", .array(m.columns.map(JSONValue.string))), ("rows", .array(m.rows))]
        if let model = try? state.models.model(at: url) { members.append(("model", ModelAdapter.summary(model))) }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
            .filter { !$0.hasPrefix(".") && ["html", "png", "csv", "json"].contains(($0 as NSString).pathExtension) }
        members.append(("files", .array(names.map { .string("/files/\(id)/\($0)") })))
        for folder in ["samples", "validation"] where names.isEmpty || true {
            let sub = url.appendingPathComponent(folder)
            let pngs = ((try? FileManager.default.contentsOfDirectory(atPath: sub.path)) ?? []).filter { $0.hasSuffix(".png") }.sorted().suffix(12)
            if !pngs.isEmpty { members.append((folder, .array(pngs.map { .string("/files/\(id)/\(folder)/\($0)") }))) }
        }
        return Reply.json(.object(members))
    }

    /// Server-sent events: one `metrics` event per new line of metrics.csv (checked every second,
    /// its `id` the number of rows sent), a comment every 15 s. A stream lasts at most a minute
    /// and ends when the server shuts down; the browser reconnects with `Last-Event-ID`.
    func events(_ request: Request) throws -> Response {
        let id = query(request, "id")
        let url = try state.resolve(id, what: "run")
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("model.safetensors").path) else { throw ServeError.notFound("run") }
        var from = try int(request, "from", default: 0, range: 0 ... 10_000_000)
        if let last = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap(Int.init), last >= 0 { from = last }
        let start = from
        let body = ResponseBody { writer in
            var sentRows = start
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            for tick in 0 ..< 60 {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                let m = Self.metrics(url)
                if m.rows.count > sentRows {
                    var text = ""
                    for (i, row) in m.rows[sentRows...].enumerated() {
                        text += "id: \(sentRows + i + 1)\nevent: metrics\ndata: " + JSONValue.object([("columns", .array(m.columns.map(JSONValue.string))), ("row", row)])
                            .serialized().replacingOccurrences(of: "\n", with: "") + "\n\n"
                    }
                    sentRows = m.rows.count
                    try await writer.write(ByteBuffer(string: text))
                } else if tick % 15 == 14 {
                    try await writer.write(ByteBuffer(string: ": waiting\n\n"))
                }
                try? await Task.sleep(for: .seconds(1))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    // MARK: Files under the roots

    static let fileTypes = ["png": "image/png", "csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8",
                            "txt": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8", "svg": "image/svg+xml"]

    /// `/files/ROOT/PATH`: a report, sample or table under a root. HTML is sandboxed (no script
    /// runs with this server's origin).
    func file(_ request: Request) throws -> Response {
        let raw = String(request.uri.path.dropFirst("/files/".count))
        guard let decoded = raw.removingPercentEncoding else { throw ServeError.notFound("file") }
        let url = try state.resolve(decoded, what: "file")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let type = Self.fileTypes[url.pathExtension.lowercased()] else { throw ServeError.notFound("file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= 64 << 20, let data = FileManager.default.contents(atPath: url.path) else {
            throw ServeError.notFound("file")
        }
        var extra: HTTPFields = [:]
        if url.pathExtension.lowercased() == "html" || url.pathExtension.lowercased() == "svg" {
            extra[.contentSecurityPolicy] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
        }
        return Reply.bytes([UInt8](data), type: type, extra: extra)
    }

    // MARK: Uploads

    func upload(_ request: Request) async throws -> Response {
        guard state.options.helper != nil else {
            throw ServeError(status: .serviceUnavailable, message: "uploads need the medsr executable, which this server was not given")
        }
        let name = query(request, "name") ?? "upload"
        let scale = try int(request, "scale", default: 4, range: 2 ... 8)
        var model: URL?
        if let run = query(request, "model"), !run.isEmpty {
            model = try state.resolve(run, what: "model")
            guard FileManager.default.fileExists(atPath: model!.appendingPathComponent("model.safetensors").path) else { throw ServeError.notFound("model") }
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > state.options.maxUploadBytes {
            throw ServeError(status: .contentTooLarge, message: "the file is larger than --max-upload-mb (\(state.options.maxUploadBytes >> 20) MiB)")
        }
        let uploads = state.uploads
        let (id, file) = try uploads.create(name: name)
        do {
            // Streamed to the private folder; the size limit counts while reading.
            guard FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ServeError(status: .internalServerError, message: "the upload folder cannot be written")
            }
            let handle = try FileHandle(forWritingTo: file)
            var written = 0
            do {
                for try await buffer in request.body {
                    written += buffer.readableBytes
                    if written > state.options.maxUploadBytes {
                        throw ServeError(status: .contentTooLarge, message: "the file is larger than --max-upload-mb (\(state.options.maxUploadBytes >> 20) MiB)")
                    }
                    try handle.write(contentsOf: Data(buffer.readableBytesView))
                }
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard written > 0 else { throw ServeError.bad("the upload is empty") }
            let chosen = model
            let answer = try await state.limiter.run { try uploads.process(id: id, input: file, name: name, model: chosen, scale: scale) }
            try? FileManager.default.removeItem(at: file)  // the PNGs stay; the original is not kept
            return Reply.json(answer)
        } catch {
            uploads.discard(id)
            throw error
        }
    }

    func uploadImage(_ request: Request, id: String, image: String) throws -> Response {
        guard let url = state.uploads.image(id, image), let data = FileManager.default.contents(atPath: url.path) else {
            throw ServeError.notFound("image")
        }
        if image.hasSuffix(".dcm") {
            return Reply.bytes([UInt8](data), type: "application/dicom", extra: [.contentDisposition: "attachment; filename=\"medsr_\(image)\""])
        }
        let download = query(request, "download") == "1" ? "medsr_\(image)" : nil
        return Reply.png([UInt8](data), download: download)
    }
}
