public import Foundation
import Dispatch
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
    /// - Parameter progress: called with the number of items just finished and their tile count.
    public static func build(_ options: BuildOptions, progress: @Sendable (Int, Int) -> Void = { _, _ in }) throws -> BuildSummary {
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
                                     skipped: listing.skipped.map { [$0.0, $0.1] }, notes: listing.notes)
        try state.lock(recover: options.resume)
        defer { state.unlock() }
        if let previous = try state.readFacts() {
            guard previous == facts else {
                throw StoreError(path: options.output.path,
                                 "was started with another recipe, input, key or shard; it cannot be resumed with these")
            }
        }
        try state.write(facts: facts, recipe: recipe)

        let done = state.finishedUnits()
        let todo = (0 ..< units).filter { $0 % shards == shard && !done.contains($0) }
        let processor = ItemProcessor(recipe: recipe, input: options.input, pseudonyms: pseudonyms,
                                      tiler: Tiler(recipe: recipe), maxBytes: options.maxBytes)
        let failure = Mutex<(any Error)?>(nil)
        let next = Atomic<Int>(0)
        let store = FileStore(root: state.folder)
        let items = listing.items
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.jobs, todo.count))) { _ in
            let compressor = Zstd.Compressor()
            while failure.withLock({ $0 == nil }) {
                let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard k < todo.count else { return }
                let u = todo[k]
                let range = u * recipe.unitSize ..< min((u + 1) * recipe.unitSize, items.count)
                var results = [ItemResult]()
                for i in range {
                    let r = processor.process(items[i], compressor: compressor)
                    progress(1, r.tiles.count)
                    results.append(r)
                }
                do {
                    try store.set("units/" + state.unitURL(u).lastPathComponent, UnitFile.encode(unit: u, results: results))
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }

        var summary = BuildSummary(report: nil, unitsBuilt: todo.count, unitsTotal: units, itemsTotal: listing.items.count,
                                   skipped: listing.skipped, notes: listing.notes)
        if options.shard != nil { return summary }
        let assembled = try DatasetAssembler.assemble(recipe: recipe, facts: facts, parts: [state], output: options.output)
        summary.report = assembled
        summary.skipped = assembled.skipped
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
        var merged = facts[0]
        merged.shard = 0
        merged.shards = 1
        let own = BuildState(output: output)
        try own.lock(recover: false)
        defer { try? fm.removeItem(at: own.folder) }
        return try DatasetAssembler.assemble(recipe: recipe, facts: merged, parts: states, output: output)
    }
}
