import Foundation
@testable import MedDataset
import MedImage
import MedIO
import Testing
import TestSupport
import Zarr

/// Issue 17, the `kermany-pneumonia` recipe: JPEG chest X-rays in train/val/test / NORMAL/PNEUMONIA
/// folders. Fixture and reference: Tools/fixtures/make_kermany_mini.py.
@Suite(.serialized) struct KermanyTests {
    struct Reference { var split: String, label: String, patient: String, size: [Int] }

    static func reference() throws -> (files: [String: Reference], broken: [String], colour: [String]) {
        let json = try #require(try FixturePath.json("kermany.reference.json") as? [String: Any])
        let files = try #require(json["files"] as? [String: [String: Any]])
        var out = [String: Reference]()
        for (path, e) in files {
            out[path] = Reference(split: e["split"] as! String, label: e["label"] as! String, patient: e["patient"] as! String,
                                  size: e["size"] as! [Int])
        }
        return (out, json["broken"] as! [String], json["colour"] as! [String])
    }

    static func recipe(_ policy: Recipe.Split.Policy, resize: Int? = 64) throws -> Recipe {
        var r = try BuildTests.recipe("kermany-pneumonia")
        r.tile = 32
        r.stride = 32
        r.scales = [2]
        r.resize = resize
        r.filters.minForeground = 0
        r.filters.minContrast = 0
        r.split.policy = policy
        r.unitSize = 4
        r.tilesPerShard = 8
        return r
    }

    @Test func fileNamesGiveThePatientAndTheLabel() {
        #expect(KermanyListing.facts(stem: "IM-0115-0001", pneumonia: false) == ("IM-0115", "normal"))
        #expect(KermanyListing.facts(stem: "NORMAL2-IM-1427-0001", pneumonia: false) == ("NORMAL2-IM-1427", "normal"))
        #expect(KermanyListing.facts(stem: "person1_bacteria_1", pneumonia: true) == ("person1", "bacteria"))
        #expect(KermanyListing.facts(stem: "person1_virus_6", pneumonia: true) == ("person1", "virus"))
        #expect(KermanyListing.facts(stem: "scan", pneumonia: true) == (nil, "pneumonia"))
    }

    @Test func theOfficialFoldersAreKeptAndTheirSharedPatientReported() throws {
        let ref = try Self.reference()
        let (url, summary) = try BuildTests.build(Self.recipe(.official), input: "kermany")
        defer { try? FileManager.default.removeItem(at: url) }
        let ds = try Dataset(root: url)
        let rows = try ds.manifest()
        // Every readable image, 4 tiles each (resized to 64 x 64, 32-pixel tiles); the broken one skipped.
        let readable = Set(ref.files.keys).subtracting(ref.broken)
        #expect(Set(rows.map { $0["source"]! }) == readable)
        for path in readable { #expect(rows.filter { $0["source"] == path }.count == 4, "\(path)") }
        #expect(summary.skipped.map(\.0) == ref.broken)
        #expect(summary.skipped.allSatisfy { !$0.1.contains("\n") })
        var pseudonym = [String: String]()
        for row in rows {
            let r = try #require(ref.files[row["source"]!])
            #expect(row["split"] == r.split, "\(row["source"]!): the folder's split")
            #expect(row["label"] == r.label, "\(row["source"]!)")
            // One pseudonym per patient, and different patients differ.
            if let p = pseudonym[r.patient] { #expect(p == row["patient"]) } else { pseudonym[r.patient] = row["patient"] }
            #expect(!row["patient"]!.contains("person") && !row["patient"]!.contains("IM-"))
        }
        #expect(Set(pseudonym.values).count == Set(ref.files.filter { readable.contains($0.key) }.map(\.value.patient)).count)
        // person22 is in train and test: kept, and reported.
        let report = try #require(summary.report)
        #expect(report.leakingPatients == 1)
        #expect(report.warnings.contains { $0.contains("1 patient(s) have images in two official splits (train+test 1)") })
        #expect(report.lines().contains { $0.contains("1 patient(s) are in two splits") })
        #expect(report.counts["val"]?.images == 2 && report.counts["train"]?.labels == ["normal": 4, "bacteria": 3, "virus": 2])
        // The colour JPEG is stored as one grey channel like the rest.
        #expect(try ds.array("train", "hr").tileShape == [1, 32, 32])
    }

    @Test func withoutAValFolderValidationIsCarvedFromTrainByPatient() throws {
        let copy = BuildTests.temporary("kermany-noval")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: FixturePath.url("kermany"), to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("chest_xray/val"))
        let listing = try Listing.make(recipe: Self.recipe(.official), input: copy)
        #expect(listing.notes.contains { $0.contains("no val folder") })
        for item in listing.items {
            #expect(item.official == (item.path.contains("/test/") ? "test" : "trainval"), "\(item.path)")
        }
        // The writer keeps the folders (train, val, test) and carves train/val from trainval by the key.
        func split(_ official: String, key: UInt64) -> String? {
            var policy = Recipe.Split()
            policy.policy = .official
            return DatasetWriter.split(of: .init(path: "a", error: nil, patient: "p", splitKey: key, official: official, fold: nil,
                                                 label: nil, slice: nil, images: 1, tiles: []), policy)
        }
        #expect(split("test", key: 0) == "test" && split("train", key: 0) == "train" && split("val", key: .max) == "val")
        #expect(split("trainval", key: 0) == "val" && split("trainval", key: .max) == "train")
    }

    @Test func thePatientPolicyReSplitsByPatient() throws {
        let ref = try Self.reference()
        let (url, summary) = try BuildTests.build(Self.recipe(.patient, resize: nil), input: "kermany")
        defer { try? FileManager.default.removeItem(at: url) }
        let rows = try Dataset(root: url).manifest()
        var splits = [String: Set<String>]()
        for row in rows { splits[ref.files[row["source"]!]!.patient, default: []].insert(row["split"]!) }
        #expect(splits.values.allSatisfy { $0.count == 1 }, "no patient in two splits")
        #expect(summary.report?.leakingPatients == 0)
        // Without --resize, images keep their sizes: tiles per image follow from them.
        for (path, r) in ref.files where !ref.broken.contains(path) {
            #expect(rows.filter { $0["source"] == path }.count == (r.size[0] / 32) * (r.size[1] / 32), "\(path)")
        }
    }

    @Test func resizedTilesArePillowsBicubicOfTheDecodedImage() throws {
        let recipe = try Self.recipe(.patient)
        let (url, _) = try BuildTests.build(recipe, input: "kermany")
        defer { try? FileManager.default.removeItem(at: url) }
        let ds = try Dataset(root: url)
        let path = "chest_xray/train/NORMAL/IM-0117-0001.jpeg"  // 96 x 80
        let row = try #require(try ds.manifest().first { $0["source"] == path && $0["x"] == "32" && $0["y"] == "32" })
        let tile = try ds.array(row["split"]!, "hr").tile(Int(row["index"]!)!)
        var options = ReadOptions()
        options.forceGray = true
        let image = try ImageFiles.read(FixturePath.url("kermany/" + path), options: options)
        #expect(image.pixels.columns == 96 && image.pixels.rows == 80)
        let resized = Resample.bicubic(image.pixels.frame(0), columns: 64, rows: 64).cropped(x: 32, y: 32, width: 32, height: 32)
        #expect(resized.samples.littleEndianBytes() == tile)
    }

    @Test func theKaggleArchivesNestedCopyAndResourceForksAreNotListedTwice() throws {
        let copy = BuildTests.temporary("kermany-nested")
        let fm = FileManager.default
        defer { try? fm.removeItem(at: copy) }
        try fm.createDirectory(at: copy, withIntermediateDirectories: true)
        try fm.copyItem(at: FixturePath.url("kermany/chest_xray"), to: copy.appendingPathComponent("chest_xray"))
        try fm.copyItem(at: FixturePath.url("kermany/chest_xray"), to: copy.appendingPathComponent("chest_xray/chest_xray"))
        try fm.createDirectory(at: copy.appendingPathComponent("__MACOSX/chest_xray/train/NORMAL"), withIntermediateDirectories: true)
        try Data([0, 5, 22, 7]).write(to: copy.appendingPathComponent("__MACOSX/chest_xray/train/NORMAL/._IM-0115-0001.jpeg"))
        try "Kermany et al.".write(to: copy.appendingPathComponent("chest_xray/README.txt"), atomically: true, encoding: .utf8)
        let listing = try Listing.make(recipe: Self.recipe(.official), input: copy)
        let ref = try Self.reference()
        #expect(listing.items.count == ref.files.count, "each image once (the broken one is skipped later, when read)")
        #expect(listing.skipped.count == ref.files.count && listing.skipped.allSatisfy { $0.1.hasPrefix("duplicate of chest_xray/") })
        #expect(listing.notes.contains { $0.contains("1 document file(s)") })
    }
}
