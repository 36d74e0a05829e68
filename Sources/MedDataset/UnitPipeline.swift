import Foundation
import Zarr

/// Runs the items of units on worker threads and hands each unit's results to `consume`
/// strictly in the order of `units`, on the calling thread. Workers take single items (so the
/// last unit is shared between them, not left to one), and run at most a few units ahead of the
/// consumer, so memory stays bounded however long the build. The first error stops everything
/// and is rethrown.
enum UnitPipeline {
    final class State: @unchecked Sendable {
        // Every field is guarded by `condition`.
        let condition = NSCondition()
        var taken = 0
        var consumed = 0
        var results: [Int: [ItemResult?]] = [:]
        var remaining: [Int: Int] = [:]
        var failed = false
    }

    /// - Parameters:
    ///   - items: the item indices of a unit.
    ///   - work: processes one item.
    static func run(units: [Int], items: (Int) -> Range<Int>, jobs: Int, work: @escaping @Sendable (Int, Zstd.Compressor) -> ItemResult,
                    consume: (Int, [ItemResult]) throws -> Void) throws {
        guard !units.isEmpty else { return }
        // (position of the unit in `units`, offset within the unit, item index), in order.
        var tasks = [(unit: Int, slot: Int, item: Int)]()
        let state = State()
        for (k, u) in units.enumerated() {
            let range = items(u)
            state.results[k] = Array(repeating: nil, count: range.count)
            state.remaining[k] = range.count
            for (slot, i) in range.enumerated() { tasks.append((k, slot, i)) }
        }
        let plan = tasks
        let workers = max(1, min(jobs, plan.count))
        let window = workers * 2 + 1
        let group = DispatchGroup()
        for _ in 0 ..< workers {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let compressor = Zstd.Compressor()
                while true {
                    state.condition.lock()
                    while !state.failed && state.taken < plan.count && plan[state.taken].unit >= state.consumed + window {
                        state.condition.wait()
                    }
                    guard !state.failed, state.taken < plan.count else { state.condition.unlock(); return }
                    let task = plan[state.taken]
                    state.taken += 1
                    state.condition.unlock()
                    let result = work(task.item, compressor)
                    state.condition.lock()
                    state.results[task.unit]![task.slot] = result
                    state.remaining[task.unit]! -= 1
                    if state.remaining[task.unit] == 0 { state.condition.broadcast() }
                    state.condition.unlock()
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        defer {
            state.condition.lock()
            if state.consumed < units.count { state.failed = true }
            state.condition.broadcast()
            state.condition.unlock()
            group.wait()
        }
        for k in 0 ..< units.count {
            state.condition.lock()
            while state.remaining[k]! > 0 { state.condition.wait() }
            let results = state.results.removeValue(forKey: k)!.map { $0! }
            state.remaining[k] = nil
            state.condition.unlock()
            try consume(units[k], results)
            state.condition.lock()
            state.consumed = k + 1
            state.condition.broadcast()
            state.condition.unlock()
        }
    }
}

/// Where a one-process build continues after an interruption: the units whose headers are in
/// the journal and whose tiles all lie in shards that reached the disk are replayed from their
/// headers; everything after them is built again (deterministically, so into the same bytes).
struct ResumePoint {
    var firstUnit = 0
    var durableShards: [String: Int] = [:]
    var replayed: [[UnitFile.StoredItem]] = []

    /// Reads the journal and removes every output file that is not durable (the root
    /// `zarr.json` first, so the dataset never looks complete meanwhile).
    init(state: BuildState, recipe: Recipe, units: Int, clean output: URL) throws {
        let fm = FileManager.default
        var headers = [[UnitFile.StoredItem]]()
        for u in 0 ..< units {
            guard let bytes = FileStore.read(state.headerURL(u).path) else { break }
            headers.append(try UnitFile.decode(bytes, path: state.headerURL(u).path).items)
        }
        // Tiles per split before each unit.
        var before = [[String: Int]]()
        var count = [String: Int]()
        for items in headers {
            before.append(count)
            for item in items { if let s = DatasetWriter.split(of: item, recipe.split) { count[s, default: 0] += item.tiles.count } }
        }
        before.append(count)
        let perShard = recipe.tilesPerShard
        let store = FileStore(root: output)
        for split in SplitReport.splitNames {
            var k = 0
            while k < count[split, default: 0] / perShard,
                  DatasetWriter.arrayNames(recipe).allSatisfy({ name in
                      fm.fileExists(atPath: store.url(TileArrayWriter.shardKey("\(split)/\(name)", k, rank: 4)).path)
                  }) { k += 1 }
            durableShards[split] = k
        }
        firstUnit = headers.count
        for u in 0 ..< headers.count where SplitReport.splitNames.contains(where: {
            before[u + 1][$0, default: 0] > durableShards[$0, default: 0] * perShard
        }) {
            firstUnit = u
            break
        }
        replayed = Array(headers.prefix(firstUnit))
        for u in firstUnit ..< units { try? fm.removeItem(at: state.headerURL(u)) }
        try? fm.removeItem(at: output.appendingPathComponent("zarr.json"))
        let keep = Set(SplitReport.splitNames.flatMap { split in
            DatasetWriter.arrayNames(recipe).flatMap { name in
                (0 ..< durableShards[split, default: 0]).map { TileArrayWriter.shardKey("\(split)/\(name)", $0, rank: 4) }
            }
        })
        let root = output.standardizedFileURL.path + "/"
        let walker = fm.enumerator(at: output, includingPropertiesForKeys: [.isRegularFileKey])
        var doomed = [URL]()
        while let url = walker?.nextObject() as? URL {
            let relative = String(url.standardizedFileURL.path.dropFirst(root.count))
            if relative.hasPrefix(BuildState.folderName) { walker?.skipDescendants(); continue }
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, !keep.contains(relative) {
                doomed.append(url)
            }
        }
        for url in doomed { try fm.removeItem(at: url) }
    }
}
