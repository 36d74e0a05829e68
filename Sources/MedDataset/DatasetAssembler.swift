import Foundation
import Zarr

/// Per-split counts and the checks that a split is sound.
public struct SplitReport: Sendable {
    public struct Counts: Sendable {
        public var patients = 0
        public var images = 0
        public var tiles = 0
        /// Images per label.
        public var labels: [String: Int] = [:]
    }

    public static let splitNames = ["train", "val", "test"]
    public var counts: [String: Counts] = [:]
    public var skipped: [(String, String)] = []
    public var warnings: [String] = []
    public var policy: String = ""

    /// The report as lines a person reads.
    public func lines() -> [String] {
        var out = ["split   patients   images    tiles  labels (images)"]
        for name in Self.splitNames {
            let c = counts[name] ?? Counts()
            let labels = c.labels.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            out.append(name.padding(toLength: 6, withPad: " ", startingAt: 0)
                + String(format: "%10d %8d %8d  ", c.patients, c.images, c.tiles) + labels)
        }
        out.append("split policy: \(policy); no patient is in two splits")
        out += warnings.map { "warning: " + $0 }
        return out
    }

    var json: JSONValue {
        .object(Self.splitNames.map { name in
            let c = counts[name] ?? Counts()
            return (name, .object([("patients", .int(c.patients)), ("images", .int(c.images)), ("tiles", .int(c.tiles)),
                                   ("labels", .object(c.labels.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))]))
        })
    }
}

/// Writes the dataset from finished unit files, in unit order: splits, arrays, manifest, card.
/// The root `zarr.json` is written last, so a dataset that has one is complete.
enum DatasetAssembler {
    static func assemble(recipe: Recipe, facts: BuildState.Facts, parts: [BuildState], output: URL) throws -> SplitReport {
        let fm = FileManager.default
        func unitURL(_ u: Int) -> URL? {
            parts.lazy.map { $0.unitURL(u) }.first { fm.fileExists(atPath: $0.path) }
        }
        // Pass 1: headers only, to decide splits by patient.
        var items = [UnitFile.StoredItem]()
        for u in 0 ..< facts.units {
            guard let url = unitURL(u), let bytes = FileStore.read(url.path) else {
                throw StoreError(path: output.path, "unit \(u) is missing; rerun with --resume")
            }
            items += try UnitFile.decode(bytes, path: url.path).items
        }
        var report = SplitReport()
        report.policy = describePolicy(recipe.split)
        let splits = try assignSplits(items, recipe.split, report: &report)

        // Start from a clean dataset area (the unit files and the lock stay).
        try? fm.removeItem(at: output.appendingPathComponent("zarr.json"))
        for name in (try? fm.contentsOfDirectory(atPath: output.path)) ?? [] where name != BuildState.folderName {
            try fm.removeItem(at: output.appendingPathComponent(name))
        }
        let store = FileStore(root: output)
        let tiler = Tiler(recipe: recipe)
        let anyMask = items.contains { $0.tiles.contains(where: \.hasMask) }
        let compression = recipe.chunkCompression ?? .none
        let c = recipe.channels, t = recipe.tile
        let type: DataType = recipe.bits == 8 ? .uint8 : .uint16
        let zeroMask = tiler.maskArray.encode(chunk: [UInt8](repeating: 0, count: t * t))
        struct Writers { var hr: TileArrayWriter; var lr: [TileArrayWriter]; var mask: TileArrayWriter? }
        var writers = [String: Writers]()
        for name in SplitReport.splitNames {
            let names = ["tile", "channel", "y", "x"]
            writers[name] = Writers(
                hr: TileArrayWriter(store: store, path: "\(name)/hr", tileShape: [c, t, t], dataType: type,
                                    tilesPerShard: recipe.tilesPerShard, compression: compression, dimensionNames: names),
                lr: recipe.scales.map { s in
                    TileArrayWriter(store: store, path: "\(name)/lr_x\(s)", tileShape: [c, t / s, t / s], dataType: type,
                                    tilesPerShard: recipe.tilesPerShard, compression: compression, dimensionNames: names)
                },
                mask: anyMask ? TileArrayWriter(store: store, path: "\(name)/mask", tileShape: [1, t, t], dataType: .uint8,
                                                tilesPerShard: recipe.tilesPerShard, compression: compression,
                                                dimensionNames: names) : nil)
        }
        var rows = [String: [String]]()
        var patients = [String: Set<String>]()
        // Pass 2: chunks, unit by unit, in input order.
        var itemIndex = 0
        for u in 0 ..< facts.units {
            let url = unitURL(u)!
            guard let bytes = FileStore.read(url.path) else { throw StoreError(path: url.path, "unit vanished while assembling") }
            let unit = try UnitFile.decode(bytes, path: url.path)
            for item in unit.items {
                defer { itemIndex += 1 }
                if let error = item.error { report.skipped.append((item.path, error)); continue }
                guard let split = splits[itemIndex] else { continue }
                var w = writers[split]!
                var counts = report.counts[split] ?? SplitReport.Counts()
                counts.images += item.images
                if let label = item.label { counts.labels[label, default: 0] += item.images }
                if let p = item.patient { patients[split, default: []].insert(p) }
                for tile in item.tiles {
                    let index = w.hr.count
                    try w.hr.append(encoded: unit.chunk(tile.chunks[0]))
                    for k in w.lr.indices { try w.lr[k].append(encoded: unit.chunk(tile.chunks[1 + k])) }
                    if w.mask != nil {
                        try w.mask!.append(encoded: tile.hasMask ? unit.chunk(tile.chunks[1 + recipe.scales.count]) : zeroMask)
                    }
                    rows[split, default: []].append(csvRow([
                        split, String(index), item.path, item.patient ?? "", item.label ?? "",
                        (tile.frame ?? item.slice).map(String.init) ?? "", tile.level.map(String.init) ?? "",
                        String(tile.x), String(tile.y), String(t), number(tile.maskFraction), number(tile.lo), number(tile.hi),
                    ]))
                }
                counts.tiles += item.tiles.count
                report.counts[split] = counts
                writers[split] = w
            }
        }
        for name in SplitReport.splitNames {
            report.counts[name, default: SplitReport.Counts()].patients = patients[name]?.count ?? 0
            var w = writers[name]!
            try w.hr.finish()
            for k in w.lr.indices {
                try w.lr[k].finish(attributes: .object([("scale", .int(recipe.scales[k])),
                                                        ("degradation", .string(degradation))]))
            }
            try w.mask?.finish()
            try store.createGroup(name)
            if (report.counts[name]?.tiles ?? 0) == 0 { report.warnings.append("the \(name) split is empty") }
        }
        report.skipped = facts.skipped.map { ($0.first ?? "", $0.count > 1 ? $0[1] : "") } + report.skipped
        report.warnings = facts.notes + report.warnings
        let header = "split,index,source,patient,label,frame,level,x,y,size,mask_fraction,lo,hi"
        let csv = ([header] + SplitReport.splitNames.flatMap { rows[$0] ?? [] }).joined(separator: "\n") + "\n"
        try store.set("tiles.csv", Array(csv.utf8))
        try store.set("recipe.json", [UInt8](recipe.canonicalJSON()) + [0x0A])
        try store.createGroup("", attributes: .object([("medsr", card(recipe, report: report, masks: anyMask))]))
        return report
    }

    static let degradation = "Pillow-compatible antialiased bicubic (Keys a=-0.5, support 2*scale, horizontal then vertical pass, intermediate rounded to the storage type)"

    static func describePolicy(_ s: Recipe.Split) -> String {
        switch s.policy {
        case .patient: return "by patient (keyed hash, seed '\(s.seed)'), \(s.ratios.map(String.init).joined(separator: "/"))"
        case .official: return "official test list; validation carved by patient from train/val (seed '\(s.seed)')"
        case .fold: return "cvind fold \(s.testFold ?? 0) is test; validation carved by patient (seed '\(s.seed)')"
        }
    }

    /// The split of each item (nil for skipped items); fails when a patient would land in two.
    static func assignSplits(_ items: [UnitFile.StoredItem], _ s: Recipe.Split, report: inout SplitReport) throws -> [Int: String] {
        func fraction(_ key: UInt64) -> Double { Double(key >> 11) / Double(1 << 53) }
        let train = Double(s.ratios[0]) / 100, val = Double(s.ratios[1]) / 100
        let carve = train + val > 0 ? val / (train + val) : 0
        var out = [Int: String]()
        var byPatient = [String: Set<String>]()
        for (i, item) in items.enumerated() where item.error == nil {
            guard let key = item.splitKey else { continue }
            let u = fraction(key)
            let split: String
            switch s.policy {
            case .patient: split = u < train ? "train" : (u < train + val ? "val" : "test")
            case .official:
                split = item.official == "test" ? "test" : (u < carve ? "val" : "train")
            case .fold:
                split = item.fold == s.testFold ? "test" : (u < carve ? "val" : "train")
            }
            out[i] = split
            if let p = item.patient { byPatient[p, default: []].insert(split) }
        }
        let crossing = byPatient.values.filter { $0.count > 1 }.count
        if crossing > 0 {
            let what = s.policy == .fold ? "the cvind folds are not patient-disjoint: " : (s.policy == .official ? "the official lists are not patient-disjoint: " : "")
            throw StoreError(path: "split", "\(what)\(crossing) patient(s) would be in two splits; refusing to build a leaking dataset")
        }
        return out
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }

    static func csvRow(_ fields: [String]) -> String {
        fields.map { f in
            f.contains(",") || f.contains("\"") || f.contains("\n") ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",")
    }

    static func card(_ r: Recipe, report: SplitReport, masks: Bool) -> JSONValue {
        let ints: ([Int]) -> JSONValue = { .array($0.map { .int($0) }) }
        var intensity: [(String, JSONValue)] = [("mode", .string(r.intensity.mode.rawValue))]
        if let v = r.intensity.low { intensity.append(("low", .double(v))) }
        if let v = r.intensity.high { intensity.append(("high", .double(v))) }
        if let v = r.intensity.preset { intensity.append(("preset", .string(v))) }
        if let v = r.intensity.center { intensity.append(("center", .double(v))) }
        if let v = r.intensity.width { intensity.append(("width", .double(v))) }
        intensity.append(("map", .string("source = lo + value / \(r.bits == 8 ? 255 : 65535) * (hi - lo), lo/hi per tile in tiles.csv")))
        return .object([
            ("format", .string("medsr-dataset/1")),
            ("tool", .string("medsr \(MedSRVersion.string)")),
            ("recipe", .string(r.name)),
            ("source", .string(r.source.rawValue)),
            ("tile", .int(r.tile)), ("stride", .int(r.stride)), ("scales", ints(r.scales)),
            ("channels", .int(r.channels)), ("dtype", .string(r.bits == 8 ? "uint8" : "uint16")),
            ("masks", .bool(masks)),
            ("intensity", .object(intensity)),
            ("degradation", .string(degradation)),
            ("split", .object([("policy", .string(report.policy)), ("seed", .string(r.split.seed)),
                               ("ratios", ints(r.split.ratios))])),
            ("counts", report.json),
            ("skipped", .array(report.skipped.map { .object([("source", .string($0.0)), ("reason", .string($0.1))]) })),
            ("warnings", .array(report.warnings.map { .string($0) })),
        ])
    }
}

/// The tool version recorded in dataset cards.
public enum MedSRVersion {
    public static let string = "0.2.0"
}
