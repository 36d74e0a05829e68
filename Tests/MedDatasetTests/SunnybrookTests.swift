import Foundation
@testable import MedDataset
import MedImage
import MedIO
import Testing
import TestSupport
import Zarr

/// Issue 17, the `sunnybrook` recipe: cine SAX DICOM + expert contours + patient table.
/// Fixture and reference masks (scikit-image's draw.polygon): Tools/fixtures/make_sunnybrook_mini.py.
@Suite(.serialized) struct SunnybrookTests {
    struct Reference {
        var slice: Int, phase: Int, label: String, contours: String
        var masks: [String: Set<Int>]
    }

    static let side = 64

    static func reference() throws -> [String: Reference] {
        let json = try #require(try FixturePath.json("sunnybrook.reference.json") as? [String: Any])
        let images = try #require(json["images"] as? [String: [String: Any]])
        var out = [String: Reference]()
        for (path, e) in images {
            let masks = (e["masks"] as? [String: [Int]] ?? [:]).mapValues(Set.init)
            out[path] = Reference(slice: e["slice"] as! Int, phase: e["phase"] as! Int, label: e["label"] as! String,
                                  contours: e["contours"] as! String, masks: masks)
        }
        return out
    }

    static func recipe(context: Recipe.Context? = nil) throws -> Recipe {
        var r = try BuildTests.recipe("sunnybrook")
        r.tile = 32
        r.stride = 32
        r.scales = [2]
        r.filters.minForeground = 0
        r.filters.minContrast = 0
        r.filters.centreOnMasks = false
        r.unitSize = 4
        r.tilesPerShard = 16
        r.context = context
        return r
    }

    static func build(context: Recipe.Context? = nil) throws -> (Dataset, BuildSummary) {
        let (url, summary) = try BuildTests.build(recipe(context: context), input: "sunnybrook")
        return (try Dataset(root: url), summary)
    }

    @Test func slicePhaseLabelAndContoursComeFromTheDICOMAndTheTable() throws {
        let ref = try Self.reference()
        let (ds, summary) = try Self.build()
        defer { try? FileManager.default.removeItem(at: ds.root) }
        let rows = try ds.manifest()
        // Only the SAX series: the localizer (series 1 of SC-N-02) is left out with a note.
        #expect(Set(rows.map { $0["source"]! }) == Set(ref.keys))
        #expect(summary.notes.contains { $0.contains("SC-N-02") && $0.contains("left out 1 series (2 images) other than its cine short-axis series") })
        #expect(summary.notes.contains { $0.contains("papillary") })
        for row in rows {
            let r = try #require(ref[row["source"]!])
            #expect(row["slice"] == String(r.slice) && row["phase"] == String(r.phase), "\(row["source"]!)")
            #expect(row["label"] == r.label, "labels from scd_patientdata.csv, padded folder names matched")
            #expect(row["contours"] == r.contours, "\(row["source"]!)")
        }
        // Three patients (the patient folder), each in exactly one split.
        var splits = [String: Set<String>]()
        for row in rows { splits[row["patient"]!, default: []].insert(row["split"]!) }
        #expect(splits.count == 3)
        #expect(splits.values.allSatisfy { $0.count == 1 })
        // Pseudonyms only: no folder id in the patient column.
        #expect(!rows.contains { $0["patient"]!.contains("SC") })
        #expect(ds.card["mask_names"] == .array(["endocardium", "epicardium", "myocardium"].map { .string($0) }))
    }

    @Test func masksEqualScikitImagesRasterisationOfTheContours() throws {
        let ref = try Self.reference()
        let recipe = try Self.recipe()
        let input = FixturePath.url("sunnybrook")
        let listing = try Listing.make(recipe: recipe, input: input)
        var compared = 0
        for item in listing.items {
            let r = try #require(ref[item.path])
            guard let contours = item.contours else {
                #expect(r.masks.isEmpty, "\(item.path) has contours the listing did not find")
                continue
            }
            let masks = try contours.masks(recipe.masks, rows: Self.side, columns: Self.side, input: input)
            for (name, mask) in zip(recipe.masks, masks) {
                let ours = Set(mask.values.indices.filter { mask.values[$0] != 0 })
                let theirs = r.masks[name] ?? []
                let iou = Double(ours.intersection(theirs).count) / Double(max(ours.union(theirs).count, 1))
                #expect(ours == theirs, "\(item.path) \(name): IoU \(iou)")
                compared += 1
            }
        }
        #expect(compared == 6 * 3, "every contoured image of the fixture is compared")
    }

    @Test func storedMaskTilesAreTheReferenceMasksAndUncontouredImagesHaveNone() throws {
        let ref = try Self.reference()
        let (ds, _) = try Self.build()
        defer { try? FileManager.default.removeItem(at: ds.root) }
        let names = ["endocardium", "epicardium", "myocardium"]
        var withMask = 0
        for split in SplitReport.splitNames {
            let rows = try ds.manifest(split: split)
            guard !rows.isEmpty else { continue }
            let reader = try ds.array(split, "mask")
            #expect(reader.tileShape == [3, 32, 32])
            for row in rows {
                let r = try #require(ref[row["source"]!])
                let x = Int(row["x"]!)!, y = Int(row["y"]!)!
                let tile = try reader.tile(Int(row["index"]!)!)
                for (m, name) in names.enumerated() {
                    let want = r.masks[name] ?? []
                    for yy in 0 ..< 32 {
                        for xx in 0 ..< 32 {
                            let inside = want.contains((y + yy) * Self.side + x + xx)
                            if (tile[(m * 32 + yy) * 32 + xx] == 1) != inside {
                                Issue.record("\(row["source"]!) \(name) tile \(x),\(y) differs at \(xx),\(yy)")
                                return
                            }
                        }
                    }
                }
                if r.contours == "none" { #expect(row["mask_fraction"] == "0" && !tile.contains { $0 != 0 }) }
                if tile.contains(where: { $0 != 0 }) { withMask += 1 }
            }
        }
        #expect(withMask > 0)
    }

    @Test func phaseContextStacksTheNeighboursInTimeWrappingAround() throws {
        let ref = try Self.reference()
        let (plain, _) = try Self.build()
        let (stacked, _) = try Self.build(context: .init(axis: .phases, radius: 1))
        defer { for d in [plain, stacked] { try? FileManager.default.removeItem(at: d.root) } }
        #expect(stacked.card["channels"] == .int(3))
        // The image at (slice, phase ± 1 mod 5) of the same patient folder.
        func neighbour(_ path: String, _ d: Int) -> String {
            let r = ref[path]!, folder = (path as NSString).deletingLastPathComponent
            return ref.first { ($0.key as NSString).deletingLastPathComponent == folder && $0.value.slice == r.slice
                && $0.value.phase == (r.phase + d + 5) % 5 }!.key
        }
        let plainRows = try plain.manifest()
        var checked = 0, wrapped = 0
        for split in SplitReport.splitNames {
            let rows = try stacked.manifest(split: split)
            guard !rows.isEmpty else { continue }
            let hr = try stacked.array(split, "hr")
            #expect(hr.tileShape == [3, 32, 32])
            for row in rows where row["x"] == "32" && row["y"] == "0" {
                let tile = try hr.tile(Int(row["index"]!)!)
                let lo = Double(row["lo"]!)!, hi = Double(row["hi"]!)!
                // The centre channel is the plain build's tile.
                let p = try #require(plainRows.first { $0["source"] == row["source"] && $0["x"] == "32" && $0["y"] == "0" })
                let centre = try plain.array(p["split"]!, "hr").tile(Int(p["index"]!)!)
                #expect(Array(tile[1024 ..< 2048]) == centre)
                // Channels 0 and 2: the previous and next phase through the centre's window.
                for (channel, d) in [(0, -1), (2, 1)] {
                    let image = try DICOMReader.read(path: FixturePath.url("sunnybrook/" + neighbour(row["source"]!, d)).path)
                    guard case .uint16(let v) = image.pixels.samples else { Issue.record("not uint16"); return }
                    for yy in 0 ..< 32 {
                        for xx in 0 ..< 32 {
                            let s = Double(v[yy * Self.side + 32 + xx])
                            let want = UInt8(min(max(((s - lo) * 255 / (hi - lo)).rounded(), 0), 255))
                            if tile[channel * 1024 + yy * 32 + xx] != want {
                                Issue.record("\(row["source"]!) channel \(channel) differs at \(xx),\(yy)")
                                return
                            }
                        }
                    }
                }
                checked += 1
                if ref[row["source"]!]!.phase == 0 || ref[row["source"]!]!.phase == 4 { wrapped += 1 }
            }
        }
        #expect(checked == 30)
        #expect(wrapped == 12)
    }

    @Test func sliceContextClampsAtTheEnds() throws {
        let ref = try Self.reference()
        let (ds, _) = try Self.build(context: .init(axis: .slices, radius: 1))
        defer { try? FileManager.default.removeItem(at: ds.root) }
        for split in SplitReport.splitNames {
            let rows = try ds.manifest(split: split)
            guard !rows.isEmpty else { continue }
            let hr = try ds.array(split, "hr")
            for row in rows {
                let tile = try hr.tile(Int(row["index"]!)!)
                let (a, b, c) = (tile[0 ..< 1024], tile[1024 ..< 2048], tile[2048 ..< 3072])
                // Two slices: slice 0 is its own lower neighbour, slice 1 its own upper one.
                if ref[row["source"]!]!.slice == 0 { #expect(a == b && b != c) } else { #expect(c == b && a != b) }
            }
        }
    }

    @Test func aContextNeedsASourceWithPhasesAndSlices() throws {
        var r = try BuildTests.recipe("dicom-folder")
        r.context = .init(axis: .phases, radius: 1)
        #expect(r.problems().contains { $0.contains("context") && $0.contains("sunnybrook") })
        #expect(Recipe.Context(argument: "phases:1") == .init(axis: .phases, radius: 1))
        #expect(Recipe.Context(argument: "time:1") == nil)
        var s = try Self.recipe()
        s.masks = ["endocardium", "lv"]
        #expect(s.problems().contains { $0.contains("'lv'") })
    }

    @Test func aBadContourFileIsOneClearLine() throws {
        let folder = BuildTests.temporary("contour")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("IM-0001-0001-icontour-manual.txt")
        try "10 10\n12 oops\n".write(to: file, atomically: true, encoding: .utf8)
        #expect { try SunnybrookContours.vertices(path: file.path) } throws: { error in
            String(describing: error).contains("line 2") && String(describing: error).contains(file.lastPathComponent)
        }
    }
}
