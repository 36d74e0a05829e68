import Foundation
import SwiftGlibc
import Zarr

/// The `.medsr-build` folder of a dataset under construction (or of one `--shard` part):
/// the recipe, the listing's fingerprint, finished unit files, and the writer's lock.
struct BuildState {
    static let folderName = ".medsr-build"
    let folder: URL

    init(output: URL) { folder = output.appendingPathComponent(Self.folderName) }

    var stateURL: URL { folder.appendingPathComponent("state.json") }
    var unitsFolder: URL { folder.appendingPathComponent("units") }
    var lockURL: URL { folder.appendingPathComponent("lock") }
    /// A unit with its chunks (written by `--shard` parts, read by `merge`).
    func unitURL(_ u: Int) -> URL { unitsFolder.appendingPathComponent(String(format: "u%07d.bin", u)) }
    /// A unit's header only: the journal of a one-process build, whose chunks went into shards.
    func headerURL(_ u: Int) -> URL { unitsFolder.appendingPathComponent(String(format: "u%07d.hdr", u)) }

    /// What every part of one build must agree on.
    struct Facts: Equatable {
        var recipeSHA: String
        var listingSHA: String
        var keyCheck: String
        var units: Int
        var shard: Int
        var shards: Int
        /// Listing-level skips and notes, kept for the report.
        var skipped: [[String]]
        var notes: [String]
        /// DICOM folders: what each series became.
        var series: [SeriesPlan] = []

        var json: JSONValue {
            var fields: [(String, JSONValue)] = [
                ("recipeSHA", .string(recipeSHA)), ("listingSHA", .string(listingSHA)), ("keyCheck", .string(keyCheck)),
                ("units", .int(units)), ("shard", .int(shard)), ("shards", .int(shards)),
                ("skipped", .array(skipped.map { .array($0.map { .string($0) }) })),
                ("notes", .array(notes.map { .string($0) }))]
            if !series.isEmpty { fields.append(("series", .array(series.map(\.json)))) }
            return .object(fields)
        }

        init(recipeSHA: String, listingSHA: String, keyCheck: String, units: Int, shard: Int, shards: Int,
             skipped: [[String]], notes: [String], series: [SeriesPlan] = []) {
            self.recipeSHA = recipeSHA
            self.listingSHA = listingSHA
            self.keyCheck = keyCheck
            self.units = units
            self.shard = shard
            self.shards = shards
            self.skipped = skipped
            self.notes = notes
            self.series = series
        }

        init?(json: JSONValue) {
            guard let r = json["recipeSHA"]?.stringValue, let l = json["listingSHA"]?.stringValue,
                  let k = json["keyCheck"]?.stringValue, let u = json["units"]?.intValue,
                  let s = json["shard"]?.intValue, let n = json["shards"]?.intValue else { return nil }
            self.init(recipeSHA: r, listingSHA: l, keyCheck: k, units: u, shard: s, shards: n,
                      skipped: (json["skipped"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.stringValue) },
                      notes: (json["notes"]?.arrayValue ?? []).compactMap(\.stringValue),
                      series: (json["series"]?.arrayValue ?? []).compactMap(SeriesPlan.init(json:)))
        }

        /// Equal apart from which shard wrote them.
        func sameBuild(as other: Facts) -> Bool {
            recipeSHA == other.recipeSHA && listingSHA == other.listingSHA && keyCheck == other.keyCheck
                && units == other.units && shards == other.shards
        }
    }

    func readFacts() throws -> Facts? {
        guard let data = FileManager.default.contents(atPath: stateURL.path) else { return nil }
        guard let json = JSONValue.parse(data), let facts = Facts(json: json) else {
            throw StoreError(path: stateURL.path, "damaged build state; delete the output folder and build again")
        }
        return facts
    }

    func recipe() throws -> Recipe {
        let url = folder.appendingPathComponent("recipe.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let recipe = try? JSONDecoder().decode(Recipe.self, from: data) else {
            throw StoreError(path: url.path, "missing or damaged recipe of a build part")
        }
        return recipe
    }

    func write(facts: Facts, recipe: Recipe) throws {
        let store = FileStore(root: folder)
        try store.set("state.json", Array(facts.json.serialized().utf8))
        try store.set("recipe.json", [UInt8](recipe.canonicalJSON()))
        try FileManager.default.createDirectory(at: unitsFolder, withIntermediateDirectories: true)
    }

    /// Units already finished (their files exist); leftovers of interrupted writes are removed.
    func finishedUnits() -> Set<Int> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: unitsFolder.path)) ?? []
        var done = Set<Int>()
        for name in names {
            if name.hasPrefix(".") { try? FileManager.default.removeItem(at: unitsFolder.appendingPathComponent(name)); continue }
            if name.hasPrefix("u"), name.hasSuffix(".bin"), let u = Int(name.dropFirst().dropLast(4)) { done.insert(u) }
        }
        return done
    }

    // MARK: The writer's lock

    /// Takes the lock, or explains who holds it. A lock left by a dead process is taken over
    /// only when `recover` (the user's `--resume`) says so.
    func lock(recover: Bool) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName
        let mine = "\(getpid()) \(host)\n"
        for _ in 0 ..< 2 {
            let fd = open(lockURL.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            if fd >= 0 {
                _ = mine.withCString { SwiftGlibc.write(fd, $0, strlen($0)) }
                close(fd)
                return
            }
            let text = (try? String(contentsOf: lockURL, encoding: .utf8)) ?? ""
            let fields = text.split(whereSeparator: \.isWhitespace)
            let pid = fields.first.flatMap { Int32($0) }
            let sameHost = fields.count > 1 && String(fields[1]) == host
            if let pid, sameHost, kill(pid, 0) == 0 || errno == EPERM {
                throw StoreError(path: folder.deletingLastPathComponent().path,
                                 "another medsr build (process \(pid)) is writing this dataset; wait for it or stop it")
            }
            guard recover else {
                throw StoreError(path: folder.deletingLastPathComponent().path,
                                 "a build of this dataset was interrupted (stale lock); rerun with --resume to finish it")
            }
            try? FileManager.default.removeItem(at: lockURL)
        }
        throw StoreError(path: lockURL.path, "cannot take the build lock")
    }

    func unlock() { try? FileManager.default.removeItem(at: lockURL) }
}
