import Foundation
@testable import MedDataset
import MedImage
import Testing
import TestSupport
import Zarr

/// Builds from the committed fixtures: determinism, shards and merge, resume, PHI.
@Suite(.serialized) struct BuildTests {
    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("medsr-\(name)-\(UUID().uuidString)")
    }

    static func recipe(_ name: String) throws -> Recipe {
        try Recipe.load(FixturePath.root.deletingLastPathComponent().appendingPathComponent("Manifests/\(name).json").path)
    }

    static func figshare(tile: Int = 128) throws -> Recipe {
        var r = try recipe("figshare-brain-tumour")
        r.tile = tile
        r.stride = tile
        r.unitSize = 2
        r.tilesPerShard = 4
        return r
    }

    /// Relative path → SHA-256 of every file under `root`.
    static func digest(_ root: URL) -> [String: String] {
        var out = [String: String]()
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = FileManager.default.contents(atPath: url.path) else { continue }
            out[String(url.path.dropFirst(root.path.count))] = SHA256.hex([UInt8](data))
        }
        return out
    }

    static func build(_ recipe: Recipe, input: String, jobs: Int = 2, shard: (Int, Int)? = nil, resume: Bool = false,
                      into out: URL? = nil) throws -> (URL, BuildSummary) {
        let url = out ?? temporary(recipe.name)
        var options = BuildOptions(recipe: recipe, input: FixturePath.url(input), output: url)
        options.jobs = jobs
        options.shard = shard
        options.resume = resume
        return (url, try DatasetBuilder.build(options))
    }

    @Test func sameBytesWhateverTheThreadCount() throws {
        let (a, summary) = try Self.build(Self.figshare(), input: "mat/figshare", jobs: 1)
        let (b, _) = try Self.build(Self.figshare(), input: "mat/figshare", jobs: 2)
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let da = Self.digest(a)
        #expect(da == Self.digest(b))
        #expect(da.keys.contains("/zarr.json") && da.keys.contains("/tiles.csv") && da.keys.contains("/recipe.json"))
        #expect(!da.keys.contains { $0.contains(".medsr-build") }, "build state is removed when the dataset is complete")
        let tiles = summary.report!.counts.values.reduce(0) { $0 + $1.tiles }
        #expect(tiles > 0)
        #expect(try Dataset(root: a).manifest().count == tiles)
    }

    @Test func threeShardsMergeIntoTheSameBytes() throws {
        let (whole, _) = try Self.build(Self.figshare(), input: "mat/figshare")
        var parts = [URL]()
        for i in 0 ..< 3 {
            let (part, summary) = try Self.build(Self.figshare(), input: "mat/figshare", shard: (i, 3))
            #expect(summary.report == nil)
            parts.append(part)
        }
        let merged = Self.temporary("merged")
        defer { for u in parts + [whole, merged] { try? FileManager.default.removeItem(at: u) } }
        // An incomplete set of parts is refused.
        #expect(throws: StoreError.self) { try DatasetBuilder.merge(parts: Array(parts.prefix(2)), output: merged) }
        _ = try DatasetBuilder.merge(parts: parts, output: merged)
        #expect(Self.digest(merged) == Self.digest(whole))
    }

    /// Interrupted after n units (as by kill -9: journal, some shards, a dead writer's lock,
    /// a half-written temporary file), then resumed: the same bytes as an uninterrupted build.
    @Test(arguments: [0, 1, 3, 4])
    func resumeAfterAnInterruptionGivesTheSameBytes(after n: Int) throws {
        var recipe = try Self.figshare()
        recipe.unitSize = 1
        let (clean, _) = try Self.build(recipe, input: "mat/figshare")
        let broken = Self.temporary("broken")
        defer { try? FileManager.default.removeItem(at: clean); try? FileManager.default.removeItem(at: broken) }
        var options = BuildOptions(recipe: recipe, input: FixturePath.url("mat/figshare"), output: broken)
        options.interruptAfterUnits = n
        #expect(throws: CancellationError.self) { try DatasetBuilder.build(options) }
        let state = BuildState(output: broken)
        try Data([1, 2, 3]).write(to: broken.appendingPathComponent(".zarr.json.X.tmp"))
        try "999999 \(ProcessInfo.processInfo.hostName)\n".write(to: state.lockURL, atomically: true, encoding: .utf8)
        // Without --resume the existing output is not touched.
        #expect(throws: StoreError.self) { try Self.build(recipe, input: "mat/figshare", into: broken) }
        _ = try Self.build(recipe, input: "mat/figshare", resume: true, into: broken)
        #expect(Self.digest(broken) == Self.digest(clean))
    }

    /// The journal says units were written, but their shard never reached the disk.
    @Test func resumeRebuildsUnitsWhoseShardWasLost() throws {
        var recipe = try Self.figshare()
        recipe.unitSize = 1
        recipe.tilesPerShard = 2
        let (clean, _) = try Self.build(recipe, input: "mat/figshare")
        let broken = Self.temporary("lost")
        defer { try? FileManager.default.removeItem(at: clean); try? FileManager.default.removeItem(at: broken) }
        var options = BuildOptions(recipe: recipe, input: FixturePath.url("mat/figshare"), output: broken)
        options.interruptAfterUnits = 4
        #expect(throws: CancellationError.self) { try DatasetBuilder.build(options) }
        let shards = try FileManager.default.contentsOfDirectory(atPath: broken.appendingPathComponent("train/lr_x2/c").path)
        #expect(!shards.isEmpty)
        try FileManager.default.removeItem(at: broken.appendingPathComponent("train/lr_x2/c/0"))
        _ = try Self.build(recipe, input: "mat/figshare", resume: true, into: broken)
        #expect(Self.digest(broken) == Self.digest(clean))
    }

    @Test func aLiveWriterKeepsTheLock() throws {
        let (part, _) = try Self.build(Self.figshare(), input: "mat/figshare", shard: (0, 2))
        defer { try? FileManager.default.removeItem(at: part) }
        let state = BuildState(output: part)
        try "\(getpid()) \(ProcessInfo.processInfo.hostName)\n".write(to: state.lockURL, atomically: true, encoding: .utf8)
        let error = #expect(throws: StoreError.self) {
            try Self.build(Self.figshare(), input: "mat/figshare", shard: (0, 2), resume: true, into: part)
        }
        #expect(error?.message.contains("another medsr build") == true)
    }

    @Test func noPatientIdentifierInAnyOutputByte() throws {
        var dicom = try Self.recipe("dicom-folder")
        dicom.tile = 32
        dicom.stride = 32
        let (a, _) = try Self.build(Self.figshare(), input: "mat/figshare")
        let (b, _) = try Self.build(dicom, input: "dicom/series")
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        for root in [a, b] {
            let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
            var files = 0
            while let url = walker?.nextObject() as? URL {
                guard let data = FileManager.default.contents(atPath: url.path) else { continue }
                files += 1
                for canary in ["PHI-CANARY", "Canary", "Phileas", "7Q2X", "8R3Y", "9S4Z"] {
                    #expect(data.range(of: Data(canary.utf8)) == nil, "\(canary) in \(url.path)")
                }
            }
            #expect(files > 5)
        }
    }

    @Test func mergedPatientsNeverCrossSplits() throws {
        let (a, summary) = try Self.build(Self.figshare(), input: "mat/figshare")
        defer { try? FileManager.default.removeItem(at: a) }
        let rows = try Dataset(root: a).manifest()
        var splitOf = [String: String]()
        for row in rows {
            let p = try #require(row["patient"]), s = try #require(row["split"])
            #expect(splitOf[p, default: s] == s)
            splitOf[p] = s
        }
        // Three canary patients in the fixtures.
        #expect(Set(splitOf.keys).count == 3)
        #expect(summary.report?.counts.values.reduce(0) { $0 + $1.patients } == 3)
    }

    @Test func everyTumourGetsACentredTile() throws {
        var r = try Self.figshare(tile: 64)
        r.filters.minForeground = 1.0  // grid tiles only where everything is foreground
        r.stride = 256
        let (a, _) = try Self.build(r, input: "mat/figshare")
        defer { try? FileManager.default.removeItem(at: a) }
        let rows = try Dataset(root: a).manifest()
        for file in ["1.mat", "2.mat", "3.mat", "4.mat", "5.mat"] {
            #expect(rows.contains { $0["source"] == file && Double($0["mask_fraction"] ?? "0")! > 0.05 }, "\(file)")
        }
    }
}

@Suite struct SplitTests {
    @Test func keyedHashSplitIsStableAndProportional() throws {
        let p = Pseudonymizer(key: nil, seed: "s1")
        func items(_ n: Int) -> [UnitFile.StoredItem] {
            (0 ..< n).map { i in
                UnitFile.StoredItem(path: "\(i)", patient: p.pseudonym("patient-\(i)"), splitKey: p.splitKey("patient-\(i)"),
                                    images: 1, tiles: [])
            }
        }
        let small = items(1000).map { DatasetWriter.split(of: $0, Recipe.Split()) }
        let large = items(3000).map { DatasetWriter.split(of: $0, Recipe.Split()) }
        for i in 0 ..< 1000 { #expect(small[i] == large[i]) }
        let train = large.filter { $0 == "train" }.count
        #expect(abs(Double(train) / 3000 - 0.70) < 0.04)
        #expect(p.pseudonym("00042") == p.pseudonym("42"))
        #expect(p.pseudonym("42") != Pseudonymizer(key: Array("another secret key".utf8), seed: "s1").pseudonym("42"))
    }

    @Test func officialListsThatShareAPatientAreRefused() throws {
        let p = Pseudonymizer(key: nil, seed: "s")
        var a = UnitFile.StoredItem(path: "a", patient: p.pseudonym("7"), splitKey: p.splitKey("7"), images: 1, tiles: [])
        a.official = "test"
        var b = a
        b.official = "trainval"
        var split = Recipe.Split()
        split.policy = .official
        var recipe = Recipe(name: "t", source: .nih)
        recipe.split = split
        let out = BuildTests.temporary("overlap")
        defer { try? FileManager.default.removeItem(at: out) }
        let writer = DatasetWriter(recipe: recipe, output: out)
        try writer.add(a, chunk: nil)
        try writer.add(b, chunk: nil)
        #expect(throws: StoreError.self) { try writer.finish(listingSkipped: [], notes: []) }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("zarr.json").path))
    }
}

@Suite struct NIHTests {
    @Test func bothCSVVersionsAndTheBoxList() throws {
        let v1 = try NIHMetadata.entries(FixturePath.url("png/nih/Data_Entry_2017.csv"))
        let v2 = try NIHMetadata.entries(FixturePath.url("png/nih/Data_Entry_2017_v2020.csv"))
        #expect(v1.count == 9 && v2.count == 9)
        #expect(v1.mapValues(\.patient) == v2.mapValues(\.patient))
        #expect(v1["00000004_000.png"]?.labels == "Mass|Nodule" && v2["00000004_000.png"]?.labels == "Mass")
        let boxes = try NIHMetadata.boxes(FixturePath.url("png/nih/BBox_List_2017.csv"))
        #expect(boxes["00000004_000.png"]?.count == 2 && boxes.values.reduce(0) { $0 + $1.count } == 3)
    }

    @Test func boxMaskCoversTheBoxInThisImagesPixels() {
        let m = ItemProcessor.boxMask([[100, 200, 50, 20]], rows: 512, columns: 512)
        #expect(m.values.reduce(0) { $0 + Int($1) } == 25 * 10)
        #expect(m.values[100 * 512 + 50] == 1 && m.values[100 * 512 + 75] == 0)
    }

    @Test func multiLabelFindingsAreCountedOneByOne() throws {
        let (url, summary) = try BuildTests.build(try BuildTests.recipe("nih-chestxray14"), input: "png/nih")
        defer { try? FileManager.default.removeItem(at: url) }
        let report = try #require(summary.report)
        let all = SplitReport.splitNames.reduce(into: [String: Int]()) { sum, split in
            for (k, v) in report.counts[split]?.labels ?? [:] { sum[k, default: 0] += v }
        }
        // Eight readable images, two with two findings: no combination is a label of its own.
        #expect(!all.keys.contains { $0.contains("|") })
        #expect(all["Hernia"] == 2 && all["Infiltration"] == 1 && all["Mass"] == 1 && all["Nodule"] == 1)
        #expect(all["No Finding"] == 3)
        #expect(report.lines().joined().contains("counts once under each"))
        let card = try Dataset(root: url).card
        for split in SplitReport.splitNames {
            if case .object(let members)? = card["counts"]?[split]?["labels"] { #expect(!members.contains { $0.0.contains("|") }) }
        }
        #expect(card["label_counts"]?.stringValue?.hasPrefix("images per finding") == true)
        #expect(SplitReport.findings("A|B|A| ", separator: "|") == ["A", "B"])
        #expect(SplitReport.findings("dog|cat", separator: nil) == ["dog|cat"])
    }

    @Test func listingReportsUnlistedFilesAndBuildSkipsBrokenOnes() throws {
        let recipe = try BuildTests.recipe("nih-chestxray14")
        let listing = try Listing.make(recipe: recipe, input: FixturePath.url("png/nih"))
        #expect(listing.items.count == 9)
        #expect(listing.skipped.map(\.0) == ["images/00009999_000.png"])
        #expect(listing.items.filter { $0.official == "test" }.count == 3)
    }

    @Test func manifestFieldsAreQuotedOnlyWhenTheyMustBe() throws {
        let row = DatasetWriter.csvRow(["a,b", "say \"hi\"", "plain", "two\nlines", "cr\r", ""])
        #expect(row == "\"a,b\",\"say \"\"hi\"\"\",plain,\"two\nlines\",\"cr\r\",")
        // And the reader the NIH recipe uses for its CSVs reads the row back field for field.
        #expect(NIHMetadata.csvRows(row + "\n") == [["a,b", "say \"hi\"", "plain", "two\nlines", "cr\r", ""]])
    }

    @Test func niftiVolumesAreItemsOfSlices() throws {
        // Two "patients", each one volume: every slice across k is an image, its index the frame.
        let input = BuildTests.temporary("nifti-in")
        defer { try? FileManager.default.removeItem(at: input) }
        for (patient, name) in [("a", "ch2_uint16_scaled.nii.gz"), ("b", "ch2_int8.nii")] {
            let folder = input.appendingPathComponent(patient)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: FixturePath.url("nifti/\(name)"), to: folder.appendingPathComponent(name))
        }
        var recipe = try BuildTests.recipe("image-folder")
        (recipe.tile, recipe.stride, recipe.scales) = (16, 16, [2])
        recipe.filters.minForeground = 0
        let url = BuildTests.temporary("nifti-out")
        var options = BuildOptions(recipe: recipe, input: input, output: url)
        options.jobs = 2
        let summary = try DatasetBuilder.build(options)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(summary.itemsTotal == 2 && summary.skipped.isEmpty)
        let rows = try Dataset(root: url).manifest()
        // 10 slices of 48 x 40 each: 3 x 2 tiles of 16 per slice, for each of the two volumes.
        #expect(rows.count == 2 * 10 * 6)
        #expect(Set(rows.compactMap { $0["frame"] }) == Set((0 ..< 10).map(String.init)))
    }
}
