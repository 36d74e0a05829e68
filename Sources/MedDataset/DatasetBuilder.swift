public import Foundation
import Dispatch
import MedImage
import Synchronization
import Zarr

/// What a build is asked to do.
public struct BuildOptions: Sendable {
    public var recipe: Recipe
    public var input: URL
    public var output: URL
    /// `(i, n)`: build only units `u` with `u % n == i`, for `medsr merge` to join later.
    public var shard: (index: Int, count: Int)?
    public var resume = false
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// The pseudonym secret; nil derives one from the seed (see `Pseudonymizer`).
    public var pseudonymKey: [UInt8]?
    public var maxBytes = 4 << 30
    /// Tests only: stop as if killed after this many units of a one-process build.
    var interruptAfterUnits: Int?

    public init(recipe: Recipe, input: URL, output: URL) {
        self.recipe = recipe
        self.input = input
        self.output = output
    }
}

/// What a build did.
public struct BuildSummary: Sendable {
    /// Set when the whole dataset was assembled (not for a `--shard` part).
    public var report: SplitReport?
    public var unitsBuilt: Int
    public var unitsTotal: Int
    public var itemsTotal: Int
    /// (relative path, reason) for every skipped input.
    public var skipped: [(String, String)]
    public var notes: [String]
}

/// Builds the common tiled dataset: source items are processed in parallel into unit files
/// (resumable, distributable with `--shard`), then assembled in input order into a Zarr v3
/// group, so the result is byte-identical whatever the thread or shard count.
public enum DatasetBuilder {
    /// - Parameter progress: called with the number of items just finished, their tile count, and
    ///   the number of items this run processes in all.
    public static func build(_ options: BuildOptions, progress: @escaping @Sendable (Int, Int, Int) -> Void = { _, _, _ in }) throws -> BuildSummary {
        let recipe = options.recipe
        let problems = recipe.problems()
        guard problems.isEmpty else { throw RecipeError(path: recipe.name, problems.joined(separator: "; ")) }
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: options.input.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError(path: options.input.path, "the input is not a folder")
        }
        let state = BuildState(output: options.output)
        let complete = fm.fileExists(atPath: options.output.appendingPathComponent("zarr.json").path)
        let existing = (try? fm.contentsOfDirectory(atPath: options.output.path)) ?? []
        if !existing.isEmpty {
            guard options.resume else {
                throw StoreError(path: options.output.path,
                                 "the output exists and is not empty; pass --resume to finish an interrupted build, or choose a new folder")
            }
            if complete && !fm.fileExists(atPath: state.folder.path) {
                throw StoreError(path: options.output.path, "already holds a complete dataset; nothing to resume")
            }
            guard fm.fileExists(atPath: state.folder.path) else {
                throw StoreError(path: options.output.path, "holds files that are not a MedSR build; choose a new folder")
            }
        }

        try OutputLocation.prepareFolder(options.output)

        let listing = try Listing.make(recipe: recipe, input: options.input)
        guard !listing.items.isEmpty else {
            throw StoreError(path: options.input.path, "no usable source files for recipe '\(recipe.name)'"
                + (listing.skipped.isEmpty ? "" : " (\(listing.skipped.count) skipped, e.g. \(listing.skipped[0].0): \(listing.skipped[0].1))"))
        }
        let pseudonyms = Pseudonymizer(key: options.pseudonymKey, seed: recipe.split.seed)
        let units = (listing.items.count + recipe.unitSize - 1) / recipe.unitSize
        let (shard, shards) = options.shard ?? (0, 1)
        let facts = BuildState.Facts(recipeSHA: SHA256.hex([UInt8](recipe.canonicalJSON())), listingSHA: listing.fingerprint,
                                     keyCheck: pseudonyms.pseudonym("medsr-key-check"), units: units,
                                     shard: shard, shards: shards,
                                     skipped: listing.skipped.map { [$0.0, $0.1] }, notes: listing.notes,
                                     series: listing.series)
        try state.lock(recover: options.resume)
        defer { state.unlock() }
        if let previous = try state.readFacts() {
            guard previous == facts else {
                throw StoreError(path: options.output.path,
                                 "was started with another recipe, input, key or shard; it cannot be resumed with these")
            }
        }
        try state.write(facts: facts, recipe: recipe)

        let processor = ItemProcessor(recipe: recipe, input: options.input, pseudonyms: pseudonyms,
                                      tiler: Tiler(recipe: recipe), maxBytes: options.maxBytes)
        var summary = BuildSummary(report: nil, unitsBuilt: 0, unitsTotal: units, itemsTotal: listing.items.count,
                                   skipped: listing.skipped, notes: listing.notes)
        let items = listing.items
        let unitSize = recipe.unitSize
        let planned = Mutex(0)
        let run: @Sendable (Int, Zstd.Compressor) -> ItemResult = { i, compressor in
            let r = processor.process(items[i], compressor: compressor)
            progress(1, r.tiles.count, planned.withLock { $0 })
            return r
        }
        let itemsOf = { (u: Int) in u * unitSize ..< min((u + 1) * unitSize, items.count) }
        func plan(_ units: [Int]) {
            planned.withLock { $0 = units.reduce(0) { $0 + itemsOf($1).count } }
        }

        if options.shard != nil {
            // A part: units with their chunks, for `merge`.
            let done = state.finishedUnits()
            let todo = (0 ..< units).filter { $0 % shards == shard && !done.contains($0) }
            plan(todo)
            let store = FileStore(root: state.folder)
            try UnitPipeline.run(units: todo, items: itemsOf, jobs: options.jobs, work: run) { u, results in
                try store.set("units/" + state.unitURL(u).lastPathComponent, UnitFile.encode(unit: u, results: results))
            }
            summary.unitsBuilt = todo.count
            return summary
        }

        // One process: units stream in input order straight into the shards; a header-only
        // journal per unit lets --resume continue after the last shard that reached the disk.
        let resume = try ResumePoint(state: state, recipe: recipe, units: units, clean: options.output)
        let writer = DatasetWriter(recipe: recipe, output: options.output, durableShards: resume.durableShards)
        for items in resume.replayed { for item in items { try writer.add(item, chunk: nil) } }
        let store = FileStore(root: state.folder)
        let todo = Array(resume.firstUnit ..< units)
        plan(todo)
        try UnitPipeline.run(units: todo, items: itemsOf, jobs: options.jobs, work: run) { u, results in
            if let n = options.interruptAfterUnits, u >= n { throw CancellationError() }
            for r in results { try writer.add(r.stored) { t, c in r.tiles[t].chunks[c] } }
            try store.set("units/" + state.headerURL(u).lastPathComponent, UnitFile.encode(unit: u, results: results, chunks: false))
        }
        summary.unitsBuilt = todo.count
        let report = try writer.finish(listingSkipped: listing.skipped, notes: listing.notes, series: listing.series)
        summary.report = report
        summary.skipped = report.skipped
        try? fm.removeItem(at: state.stateURL)
        try? fm.removeItem(at: state.unitsFolder)
        try? fm.removeItem(at: state.folder.appendingPathComponent("recipe.json"))
        state.unlock()
        try? fm.removeItem(at: state.folder)
        return summary
    }

    /// Joins the parts of a `--shard i/n` build into one dataset, byte-identical to a
    /// one-process build of the same recipe and input.
    public static func merge(parts: [URL], output: URL) throws -> SplitReport {
        let states = parts.map { BuildState(output: $0) }
        guard let first = states.first else { throw StoreError(path: output.path, "no parts given") }
        var facts = [BuildState.Facts]()
        for s in states {
            guard let f = try s.readFacts() else {
                throw StoreError(path: s.folder.deletingLastPathComponent().path, "not a MedSR build part (no \(BuildState.folderName)/state.json)")
            }
            facts.append(f)
        }
        guard facts.allSatisfy({ $0.sameBuild(as: facts[0]) }) else {
            throw StoreError(path: parts.map(\.path).joined(separator: ", "),
                             "the parts come from different recipes, inputs, keys or shard counts")
        }
        var have = Set<Int>()
        for s in states { have.formUnion(s.finishedUnits()) }
        let missing = (0 ..< facts[0].units).filter { !have.contains($0) }
        guard missing.isEmpty else {
            throw StoreError(path: output.path, "\(missing.count) of \(facts[0].units) units are missing (e.g. unit \(missing[0]), shard \(missing[0] % facts[0].shards)); finish every part first")
        }
        let fm = FileManager.default
        if let existing = try? fm.contentsOfDirectory(atPath: output.path), !existing.isEmpty {
            throw StoreError(path: output.path, "the output exists and is not empty; choose a new folder")
        }
        let recipe = try first.recipe()
        let own = BuildState(output: output)
        try own.lock(recover: false)
        defer { try? fm.removeItem(at: own.folder) }
        let writer = DatasetWriter(recipe: recipe, output: output)
        for u in 0 ..< facts[0].units {
            guard let url = states.lazy.map({ $0.unitURL(u) }).first(where: { fm.fileExists(atPath: $0.path) }),
                  let bytes = FileStore.read(url.path) else {
                throw StoreError(path: output.path, "unit \(u) vanished while merging")
            }
            let unit = try UnitFile.decode(bytes, path: url.path)
            for item in unit.items { try writer.add(item) { t, c in unit.chunk(item, t, c) } }
        }
        let skipped = facts[0].skipped.map { ($0.first ?? "", $0.count > 1 ? $0[1] : "") }
        return try writer.finish(listingSkipped: skipped, notes: facts[0].notes, series: facts[0].series)
    }
}
