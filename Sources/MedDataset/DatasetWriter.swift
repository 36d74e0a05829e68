import Foundation
import Zarr

/// Writes the dataset from unit results taken strictly in input order: each item's split is
/// decided from its own fields, each tile gets the next index of its split, chunks go into
/// shard writers, and the manifest and card are written at the end. The root `zarr.json`
/// is written last, so a dataset that has one is complete.
///
/// After an interruption, shards already on disk are kept (`durableShards` per split) and the
/// tiles before them are replayed from unit headers without their chunks.
final class DatasetWriter {
    let recipe: Recipe
    let store: FileStore
    private var writers: [String: Writers] = [:]
    private var next: [String: Int] = [:]
    private var rows: [String: [String]] = [:]
    private var patients: [String: Set<String>] = [:]
    private var splitsOfPatient: [String: Set<String>] = [:]
    private(set) var report = SplitReport()
    /// How the LR tiles were made (array attributes and card).
    let degradation: String

    struct Writers {
        var hr: TileArrayWriter
        var lr: [TileArrayWriter]
        var mask: TileArrayWriter?
    }

    /// The arrays of one split, in a fixed order (hr, lr_x…, mask).
    static func arrayNames(_ recipe: Recipe) -> [String] {
        ["hr"] + recipe.scales.map { "lr_x\($0)" } + (recipe.masks.isEmpty ? [] : ["mask"])
    }

    init(recipe: Recipe, output: URL, durableShards: [String: Int] = [:], degradation: String = DatasetWriter.degradation,
         policy: String? = nil) {
        self.recipe = recipe
        self.degradation = degradation
        store = FileStore(root: output)
        let compression = recipe.chunkCompression ?? .none
        let c = recipe.tileChannels, t = recipe.tile
        let type: DataType = recipe.bits == 8 ? .uint8 : .uint16
        report.policy = policy ?? Self.describePolicy(recipe.split, source: recipe.source)
        report.multiLabel = recipe.source.labelSeparator != nil
        let names = ["tile", "channel", "y", "x"]
        for split in SplitReport.splitNames {
            let d = durableShards[split] ?? 0
            func writer(_ name: String, _ shape: [Int], _ type: DataType) -> TileArrayWriter {
                TileArrayWriter(store: store, path: "\(split)/\(name)", tileShape: shape, dataType: type,
                                tilesPerShard: recipe.tilesPerShard, compression: compression, dimensionNames: names,
                                durableShards: d)
            }
            writers[split] = Writers(hr: writer("hr", [c, t, t], type),
                                     lr: recipe.scales.map { writer("lr_x\($0)", [c, t / $0, t / $0], type) },
                                     mask: recipe.masks.isEmpty ? nil : writer("mask", [recipe.masks.count, t, t], .uint8))
        }
    }

    /// Adds one item. `chunk(t, c)` returns the encoded bytes of chunk `c` (hr, lr…, mask) of
    /// tile `t`; nil when the item is replayed from a header (its tiles must then all lie in
    /// durable shards).
    func add(_ item: UnitFile.StoredItem, chunk: ((Int, Int) -> [UInt8])?) throws {
        if let error = item.error { report.skipped.append((item.path, error)); return }
        guard let split = Self.split(of: item, recipe.split) else { return }
        if let p = item.patient {
            patients[split, default: []].insert(p)
            splitsOfPatient[p, default: []].insert(split)
        }
        var counts = report.counts[split] ?? SplitReport.Counts()
        counts.images += item.images
        if let label = item.label {
            for finding in SplitReport.findings(label, separator: recipe.source.labelSeparator) {
                counts.labels[finding, default: 0] += item.images
            }
        }
        counts.tiles += item.tiles.count
        report.counts[split] = counts
        var w = writers[split]!
        defer { writers[split] = w }
        let side = recipe.tile
        for (t, tile) in item.tiles.enumerated() {
            let index = next[split, default: 0]
            next[split] = index + 1
            if index >= w.hr.count {
                guard let chunk, tile.chunkCount >= 1 + recipe.scales.count else {
                    throw StoreError(path: store.root.path, "tile \(index) of \(split) is neither on disk nor in its unit; delete the output and build again")
                }
                try w.hr.append(encoded: chunk(t, 0))
                for k in w.lr.indices { try w.lr[k].append(encoded: chunk(t, 1 + k)) }
                if w.mask != nil {
                    try w.mask!.append(encoded: tile.hasMask ? chunk(t, 1 + recipe.scales.count) : nil)
                }
            }
            rows[split, default: []].append(Self.csvRow([
                split, String(index), item.path, item.patient ?? "", item.label ?? "",
                (tile.frame ?? item.slice).map(String.init) ?? "", tile.level.map(String.init) ?? "",
                String(tile.x), String(tile.y), String(side), Self.number(tile.maskFraction), Self.number(tile.lo), Self.number(tile.hi),
            ] + Self.extraValues(item, recipe)))
        }
    }

    /// Checks the splits, then writes array metadata, the manifest, the recipe and the card.
    func finish(listingSkipped: [(String, String)], notes: [String], series: [SeriesPlan] = []) throws -> SplitReport {
        let crossing = splitsOfPatient.values.filter { $0.count > 1 }.count
        if crossing > 0 && recipe.split.policy == .official && recipe.source.reportsOfficialLeaks {
            // Kept as the folders have it (the user asked for the official split), and said loudly.
            var pairs = [String: Int]()
            for s in splitsOfPatient.values where s.count > 1 {
                pairs[SplitReport.splitNames.filter(s.contains).joined(separator: "+"), default: 0] += 1
            }
            report.leakingPatients = crossing
            report.warnings.append("\(crossing) patient(s) have images in two official splits ("
                + pairs.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + "): a known leak of this set; --split-policy patient re-splits by patient")
        } else if crossing > 0 {
            let what = switch recipe.split.policy {
            case .fold: "the cvind folds are not patient-disjoint: "
            case .official: "the official lists are not patient-disjoint: "
            case .patient: ""
            }
            throw StoreError(path: store.root.path, "\(what)\(crossing) patient(s) would be in two splits; refusing to build a leaking dataset (the output is left incomplete)")
        }
        for name in SplitReport.splitNames {
            report.counts[name, default: SplitReport.Counts()].patients = patients[name]?.count ?? 0
            var w = writers[name]!
            try w.hr.finish()
            for k in w.lr.indices {
                try w.lr[k].finish(attributes: .object([("scale", .int(recipe.scales[k])),
                                                        ("degradation", .string(degradation))]))
            }
            try w.mask?.finish(attributes: .object([("medsr", .object([("mask_names", .array(recipe.masks.map { .string($0) }))]))]))
            try store.createGroup(name)
            if (report.counts[name]?.tiles ?? 0) == 0 { report.warnings.append("the \(name) split is empty") }
        }
        report.skipped = listingSkipped + report.skipped
        report.warnings = notes + report.warnings
        report.series = series
        let header = (["split,index,source,patient,label,frame,level,x,y,size,mask_fraction,lo,hi"] + recipe.extraColumns)
            .joined(separator: ",")
        let csv = ([header] + SplitReport.splitNames.flatMap { rows[$0] ?? [] }).joined(separator: "\n") + "\n"
        try store.set("tiles.csv", Array(csv.utf8))
        try store.set("recipe.json", [UInt8](recipe.canonicalJSON()) + [0x0A])
        try store.createGroup("", attributes: .object([("medsr", Self.card(recipe, report: report, degradation: degradation))]))
        return report
    }

    /// The recipe's own manifest values of an item: as many as `extraColumns`, blank when missing.
    static func extraValues(_ item: UnitFile.StoredItem, _ recipe: Recipe) -> [String] {
        recipe.extraColumns.indices.map { $0 < item.columns.count ? item.columns[$0] : "" }
    }

    static let degradation = "Pillow-compatible antialiased bicubic (Keys a=-0.5, support 2*scale, horizontal then vertical pass, intermediate rounded to the storage type)"

    static func describeContext(_ c: Recipe.Context) -> String {
        let order = (-c.radius ... c.radius).map { $0 == 0 ? "t" : ($0 < 0 ? "t\($0)" : "t+\($0)") }.joined(separator: ", ")
        return c.axis == .phases
            ? "\(c): channels are the phases \(order) of the image's slice (wrapping around the cardiac cycle)"
            : "\(c): channels are the slices \(order.replacingOccurrences(of: "t", with: "s")) at the image's phase (clamped at the ends)"
    }

    static func describePolicy(_ s: Recipe.Split, source: Recipe.SourceKind? = nil) -> String {
        if s.policy == .official && source == .kermany {
            return "official folders (train, val, test as found; without a val folder, validation carved by patient from train, seed '\(s.seed)')"
        }
        switch s.policy {
        case .patient: return "by patient (keyed hash, seed '\(s.seed)'), \(s.ratios.map(String.init).joined(separator: "/"))"
        case .official: return "official test list; validation carved by patient from train/val (seed '\(s.seed)')"
        case .fold: return "cvind fold \(s.testFold ?? 0) is test; validation carved by patient (seed '\(s.seed)')"
        }
    }

    /// The split of one item, from its own fields only (so it can be decided while streaming);
    /// nil for items that were skipped.
    static func split(of item: UnitFile.StoredItem, _ s: Recipe.Split) -> String? {
        guard item.error == nil, let key = item.splitKey else { return nil }
        let u = Double(key >> 11) / Double(1 << 53)
        let train = Double(s.ratios[0]) / 100, val = Double(s.ratios[1]) / 100
        let carve = train + val > 0 ? val / (train + val) : 0
        switch s.policy {
        case .patient: return u < train ? "train" : (u < train + val ? "val" : "test")
        case .official:
            // A source's own folders (`train`, `val`, `test`) are kept; `trainval` is carved by patient.
            if let o = item.official, ["train", "val", "test"].contains(o) { return o }
            return u < carve ? "val" : "train"
        case .fold: return item.fold == s.testFold ? "test" : (u < carve ? "val" : "train")
        }
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }

    static func csvRow(_ fields: [String]) -> String {
        // RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
        fields.map { f in
            f.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D })
                ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",")
    }

    static func card(_ r: Recipe, report: SplitReport, degradation: String) -> JSONValue {
        let ints: ([Int]) -> JSONValue = { .array($0.map { .int($0) }) }
        var intensity: [(String, JSONValue)] = [("mode", .string(r.intensity.mode.rawValue))]
        if let v = r.intensity.low { intensity.append(("low", .double(v))) }
        if let v = r.intensity.high { intensity.append(("high", .double(v))) }
        if let v = r.intensity.preset { intensity.append(("preset", .string(v))) }
        if let v = r.intensity.center { intensity.append(("center", .double(v))) }
        if let v = r.intensity.width { intensity.append(("width", .double(v))) }
        if r.intensity.mode == .window {
            let other = r.intensity.resolved(modality: nil, rescaleType: nil)
            intensity.append(("otherModalities", .string(other.mode.rawValue)))
            intensity.append(("note", .string("the window applies to CT (Hounsfield units) only; other images: \(other.summary)")))
        }
        intensity.append(("map", .string("source = lo + value / \(r.bits == 8 ? 255 : 65535) * (hi - lo), lo/hi per tile in tiles.csv")))
        var head: [(String, JSONValue)] = [
            ("format", .string("medsr-dataset/1")),
            ("tool", .string("medsr \(MedSRVersion.string)")),
            ("recipe", .string(r.name)),
            ("source", .string(r.source.rawValue)),
            ("tile", .int(r.tile)), ("stride", .int(r.stride)), ("scales", ints(r.scales)),
            ("channels", .int(r.tileChannels)), ("dtype", .string(r.bits == 8 ? "uint8" : "uint16")),
            ("masks", .bool(!r.masks.isEmpty)),
        ]
        if !r.masks.isEmpty { head.append(("mask_names", .array(r.masks.map { .string($0) }))) }
        if let c = r.context { head.append(("context", .string(Self.describeContext(c)))) }
        if let side = r.resize { head.append(("resize", .string("every image resized to \(side) x \(side) before tiling (Pillow-compatible bicubic; masks nearest)"))) }
        if r.source == .nifti { head.append(("slice_axis", .int(r.axis ?? 2))) }
        return .object(head + [
            ("intensity", .object(intensity)),
            ("degradation", .string(degradation)),
            ("split", .object([("policy", .string(report.policy)), ("seed", .string(r.split.seed)),
                               ("ratios", ints(r.split.ratios))])),
            ("counts", report.json),
            ("label_counts", .string(report.multiLabel
                ? "images per finding (multi-label source: an image counts once under each of its findings)" : "images per label")),
            ("skipped", .array(report.skipped.map { .object([("source", .string($0.0)), ("reason", .string($0.1))]) })),
            ("warnings", .array(report.warnings.map { .string($0) })),
        ] + (report.series.isEmpty ? [] : [("series", .array(report.series.map(\.json)))]))
    }
}

/// The tool version recorded in dataset cards.
public enum MedSRVersion {
    public static let string = "0.2.0"
}
