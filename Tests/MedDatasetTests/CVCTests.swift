import Foundation
@testable import MedDataset
import MedImage
import Testing
import TestSupport
import Zarr

/// Issue 17, the `cvc-clinicdb` and `cvc-colondb` recipes: colonoscopy frames (TIFF, BMP) with
/// polyp (and specular, contour) masks; frames of one video are one patient.
/// Fixture and reference masks: Tools/fixtures/make_cvc_mini.py.
@Suite(.serialized) struct CVCTests {
    struct Frame { var sequence: String, masks: [String: Set<Int>], broken: Bool }

    static func reference(_ set: String) throws -> (width: Int, frames: [String: Frame]) {
        let json = try #require(try FixturePath.json("cvc.reference.json") as? [String: Any])
        let frames = try #require(json[set] as? [String: [String: Any]])
        return (json["width"] as! Int, frames.mapValues { e in
            Frame(sequence: e["sequence"] as! String, masks: (e["masks"] as! [String: [Int]]).mapValues(Set.init),
                  broken: e["broken"] as? Bool ?? false)
        })
    }

    static func recipe(_ name: String) throws -> Recipe {
        var r = try BuildTests.recipe(name)
        r.tile = 32
        r.stride = 16
        r.scales = [4]
        r.filters.minForeground = 0
        r.filters.minContrast = 0
        r.filters.centreOnMasks = false
        r.unitSize = 2
        r.tilesPerShard = 16
        return r
    }

    /// Every stored mask tile equals the reference masks (missing masks: empty); returns the tiles checked.
    static func checkMasks(_ ds: Dataset, names: [String], width: Int, frames: [String: Frame]) throws -> Int {
        var checked = 0
        for split in SplitReport.splitNames {
            let rows = try ds.manifest(split: split)
            guard !rows.isEmpty else { continue }
            let reader = try ds.array(split, "mask")
            #expect(reader.tileShape == [names.count, 32, 32])
            for row in rows {
                let f = try #require(frames[row["source"]!])
                let x = Int(row["x"]!)!, y = Int(row["y"]!)!
                let tile = try reader.tile(Int(row["index"]!)!)
                for (m, name) in names.enumerated() {
                    let want = f.masks[name] ?? []
                    var differ = 0
                    for yy in 0 ..< 32 { for xx in 0 ..< 32 where (tile[(m * 32 + yy) * 32 + xx] == 1) != want.contains((y + yy) * width + x + xx) { differ += 1 } }
                    #expect(differ == 0, "\(row["source"]!) \(name) tile \(x),\(y): \(differ) pixels differ")
                }
                checked += 1
            }
        }
        return checked
    }

    @Test func clinicDBFramesOfOneVideoAreOnePatientAndMasksAreTheGroundTruth() throws {
        let (width, frames) = try Self.reference("clinicdb")
        let (url, summary) = try BuildTests.build(Self.recipe("cvc-clinicdb"), input: "cvc/CVC-ClinicDB")
        defer { try? FileManager.default.removeItem(at: url) }
        let ds = try Dataset(root: url)
        let rows = try ds.manifest()
        // The truncated frame 7 is skipped with one line; the other six are tiled (80 x 64: 4 x 3 tiles at stride 16).
        #expect(summary.skipped.map(\.0) == ["Original/7.tif"])
        #expect(Set(rows.map { $0["source"]! }) == Set(frames.filter { !$0.value.broken }.keys))
        #expect(rows.count == 6 * 4 * 3)
        var patientOf = [String: Set<String>]()
        for row in rows {
            #expect(row["sequence"] == frames[row["source"]!]!.sequence, "the sequence column from sequences.csv")
            patientOf[row["sequence"]!, default: []].insert(row["patient"]!)
        }
        #expect(patientOf.count == 2 && patientOf.values.allSatisfy { $0.count == 1 }, "one patient per video")
        #expect(patientOf["1"] != patientOf["2"])
        #expect(!summary.notes.contains { $0.contains("own patient") })
        #expect(ds.card["mask_names"] == .array([.string("polyp")]))
        #expect(try ds.array(rows[0]["split"]!, "hr").tileShape == [3, 32, 32], "colour frames stay RGB")
        #expect(try Self.checkMasks(ds, names: ["polyp"], width: width, frames: frames) == rows.count)
    }

    @Test func colonDBHasThreeNamedMasksAndWithoutATableWarnsThatVideosMayLeak() throws {
        let (width, frames) = try Self.reference("colondb")
        let (url, summary) = try BuildTests.build(Self.recipe("cvc-colondb"), input: "cvc/CVC-ColonDB")
        defer { try? FileManager.default.removeItem(at: url) }
        let ds = try Dataset(root: url)
        let rows = try ds.manifest()
        #expect(summary.skipped.isEmpty)
        #expect(Set(rows.map { $0["source"]! }) == Set(frames.keys), "p/s/c files are masks, not frames")
        #expect(summary.notes.contains { $0.contains("no sequences.csv") && $0.contains("different splits") })
        #expect(summary.report!.warnings.contains { $0.contains("no sequences.csv") })
        #expect(Set(rows.map { $0["patient"]! }).count == 5, "without the table every frame is its own patient")
        #expect(rows.allSatisfy { $0["sequence"] == "" })
        let names = ["polyp", "specular", "contour"]
        #expect(ds.card["mask_names"] == .array(names.map { .string($0) }))
        #expect(frames["5.bmp"]!.masks["specular"] == nil, "frame 5 has no s/c masks: they must be empty")
        #expect(try Self.checkMasks(ds, names: names, width: width, frames: frames) == rows.count)
    }

    @Test func aSequenceTableGivenElsewhereGroupsTheFramesAndBadTablesAreOneLine() throws {
        let folder = BuildTests.temporary("cvc-seq")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let table = folder.appendingPathComponent("colondb.csv")
        try "first,last,sequence\n1,2,a\n3,4,b\n".write(to: table, atomically: true, encoding: .utf8)
        var r = try Self.recipe("cvc-colondb")
        r.metadata["sequences"] = table.path
        let listing = try Listing.make(recipe: r, input: FixturePath.url("cvc/CVC-ColonDB"))
        #expect(listing.items.map(\.columns) == [["a"], ["a"], ["b"], ["b"], [""]])
        #expect(listing.items[0].patient == listing.items[1].patient && listing.items[1].patient != listing.items[2].patient)
        #expect(listing.notes.contains { $0.contains("1 frame(s) are in no sequence") })
        try "first,last,sequence\n1,3,a\n3,4,b\n".write(to: table, atomically: true, encoding: .utf8)
        #expect { try Listing.make(recipe: r, input: FixturePath.url("cvc/CVC-ColonDB")) } throws: { error in
            let text = String(describing: error)
            return text.contains("colondb.csv") && text.contains("row 3") && text.contains("overlap") && !text.contains("\n")
        }
        var bad = r
        bad.masks = ["polyp", "lesion"]
        #expect(bad.problems().contains { $0.contains("'lesion'") })
    }

    @Test func resizedFramesTakeTheirMasksByNearestNeighbour() throws {
        let (width, frames) = try Self.reference("clinicdb")
        var recipe = try Self.recipe("cvc-clinicdb")
        recipe.resize = 64  // 80 x 64 → 64 x 64
        recipe.stride = 32
        let (url, _) = try BuildTests.build(recipe, input: "cvc/CVC-ClinicDB")
        defer { try? FileManager.default.removeItem(at: url) }
        let ds = try Dataset(root: url)
        var checked = 0
        for split in SplitReport.splitNames {
            let rows = try ds.manifest(split: split)
            guard !rows.isEmpty else { continue }
            let reader = try ds.array(split, "mask")
            for row in rows {
                let want = frames[row["source"]!]!.masks["polyp"]!
                let x = Int(row["x"]!)!, y = Int(row["y"]!)!
                let tile = try reader.tile(Int(row["index"]!)!)
                var differ = 0
                for yy in 0 ..< 32 {
                    for xx in 0 ..< 32 {
                        // Pillow's NEAREST: the source pixel under the output pixel's centre.
                        let sx = (2 * (x + xx) + 1) * width / (2 * 64), sy = (2 * (y + yy) + 1) * 64 / (2 * 64)
                        if (tile[yy * 32 + xx] == 1) != want.contains(sy * width + sx) { differ += 1 }
                    }
                }
                #expect(differ == 0, "\(row["source"]!) tile \(x),\(y)")
                checked += 1
            }
        }
        #expect(checked == 6 * 4)
    }
}
