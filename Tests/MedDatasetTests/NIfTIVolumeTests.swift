import Foundation
@testable import MedDataset
import MedImage
import MedIO
import Testing
import TestSupport
import Zarr

/// Issue 17, the `nifti-volumes` recipe: BraTS case folders and the Decathlon imagesTr/labelsTr
/// layout; slices along an axis, label values → named masks, case = patient.
/// Fixture and reference masks: Tools/fixtures/make_nifti_volumes_mini.py.
@Suite(.serialized) struct NIfTIVolumeTests {
    static let (nx, ny, nz) = (48, 40, 8)

    /// Label map path → mask name → axis ("k", "i") → per slice the inside indices.
    static func reference() throws -> [String: [String: [String: [Set<Int>]]]] {
        let json = try #require(try FixturePath.json("nifti-volumes.reference.json") as? [String: Any])
        let labels = try #require(json["labels"] as? [String: [String: [String: [[Int]]]]])
        return labels.mapValues { $0.mapValues { $0.mapValues { $0.map(Set.init) } } }
    }

    static func recipe() throws -> Recipe {
        var r = try BuildTests.recipe("nifti-volumes")
        r.tile = 32
        r.stride = 8
        r.scales = [2]
        r.filters.minForeground = 0
        r.filters.minContrast = 0
        r.filters.centreOnMasks = false
        r.unitSize = 3
        r.tilesPerShard = 64
        return r
    }

    @Test func bratsCasesAreOnePatientEachWithFourModalitiesAndTheLabelMasks() throws {
        let ref = try Self.reference()
        let recipe = try Self.recipe()
        let (url, summary) = try BuildTests.build(recipe, input: "nifti-volumes/BraTS")
        defer { try? FileManager.default.removeItem(at: url) }
        let ds = try Dataset(root: url)
        let rows = try ds.manifest()
        #expect(summary.skipped.isEmpty && summary.itemsTotal == 8, "2 cases x 4 modalities; the seg files are masks")
        // Per item: 8 slices along k of 48 x 40 → 3 x 2 tiles at stride 8 each.
        #expect(rows.count == 8 * 8 * 3 * 2)
        #expect(Set(rows.map { $0["modality"]! }) == ["t1", "t1ce", "t2", "flair"])
        #expect(Set(rows.map { $0["frame"]! }) == Set((0 ..< 8).map(String.init)))
        var patientOf = [String: Set<String>]()
        for row in rows { patientOf[String(row["source"]!.split(separator: "/")[0]), default: []].insert(row["patient"]!) }
        #expect(patientOf.count == 2 && patientOf.values.allSatisfy { $0.count == 1 } && Set(patientOf.values.flatMap { $0 }).count == 2)
        #expect(ds.card["mask_names"] == .array(["tumour", "necrotic", "oedema", "enhancing"].map { .string($0) }))
        // Mask tiles: the reference label values of the case's seg, slice by slice.
        var checked = 0, inside = 0
        for split in SplitReport.splitNames {
            let splitRows = try ds.manifest(split: split)
            guard !splitRows.isEmpty else { continue }
            let reader = try ds.array(split, "mask")
            for row in splitRows {
                let source = row["source"]!, folder = String(source.split(separator: "/")[0])
                let seg = try #require(ref["BraTS/\(folder)/\(folder)_seg.nii.gz"])
                let k = Int(row["frame"]!)!, x = Int(row["x"]!)!, y = Int(row["y"]!)!
                let tile = try reader.tile(Int(row["index"]!)!)
                for (m, name) in recipe.masks.enumerated() {
                    let want = seg[name]!["k"]![k]
                    var differ = 0
                    for yy in 0 ..< 32 {
                        for xx in 0 ..< 32 {
                            let on = tile[(m * 32 + yy) * 32 + xx] == 1
                            if on != want.contains((y + yy) * Self.nx + x + xx) { differ += 1 }
                            if on { inside += 1 }
                        }
                    }
                    #expect(differ == 0, "\(source) slice \(k) \(name) tile \(x),\(y)")
                }
                checked += 1
            }
        }
        #expect(checked == rows.count && inside > 0)
    }

    @Test func decathlonLayoutPairsImagesTrWithLabelsTrAndSplitsFourDimensionalImages() throws {
        var recipe = try Self.recipe()
        recipe.masks = ["tumour", "enhancing"]
        recipe.labels = ["tumour": [1, 2, 3], "enhancing": [3]]
        let listing = try Listing.make(recipe: recipe, input: FixturePath.url("nifti-volumes/Task01_Mini"))
        // The resource fork ._mini_001 is hidden; dataset.json is not an image; 2 volumes per 4-D file.
        #expect(listing.skipped.isEmpty)
        #expect(listing.items.map(\.path) == ["imagesTr/mini_001.nii.gz", "imagesTr/mini_001.nii.gz", "imagesTr/mini_002.nii.gz",
                                              "imagesTr/mini_002.nii.gz", "imagesTs/mini_003.nii.gz", "imagesTs/mini_003.nii.gz"])
        #expect(listing.items.map(\.volume) == [0, 1, 0, 1, 0, 1])
        #expect(listing.items.map(\.columns) == [["0"], ["1"], ["0"], ["1"], ["0"], ["1"]])
        #expect(listing.items.map(\.labelVolume) == ["labelsTr/mini_001.nii.gz", "labelsTr/mini_001.nii.gz",
                                                     "labelsTr/mini_002.nii.gz", "labelsTr/mini_002.nii.gz", nil, nil])
        #expect(listing.items.map(\.patient) == ["mini_001", "mini_001", "mini_002", "mini_002", "mini_003", "mini_003"])
        #expect(listing.notes.contains { $0.contains("1 image volume(s) have no label map") })
        // The two volumes of one file differ (FLAIR-like, T1); masks are the same label map's.
        let ref = try Self.reference()["Task01_Mini/labelsTr/mini_002.nii.gz"]!
        let processor = ItemProcessor(recipe: recipe, input: FixturePath.url("nifti-volumes/Task01_Mini"),
                                      pseudonyms: Pseudonymizer(key: nil, seed: "t"), tiler: Tiler(recipe: recipe), maxBytes: 1 << 30)
        let a = try processor.niftiSlices(listing.items[2], FixturePath.url("nifti-volumes/Task01_Mini/imagesTr/mini_002.nii.gz"))
        let b = try processor.niftiSlices(listing.items[3], FixturePath.url("nifti-volumes/Task01_Mini/imagesTr/mini_002.nii.gz"))
        #expect(a.count == Self.nz && b.count == Self.nz && a[4].pixels.samples != b[4].pixels.samples)
        for k in 0 ..< Self.nz {
            for (m, name) in recipe.masks.enumerated() {
                #expect(Set(a[k].masks[m].values.indices.filter { a[k].masks[m].values[$0] != 0 }) == ref[name]!["k"]![k], "slice \(k) \(name)")
                #expect(b[k].masks[m] == a[k].masks[m])
            }
        }
        // An unlabelled volume's slices have no masks; a window per volume (the same for every slice).
        let test = try processor.niftiSlices(listing.items[4], FixturePath.url("nifti-volumes/Task01_Mini/imagesTs/mini_003.nii.gz"))
        #expect(test.allSatisfy { $0.masks.isEmpty } && Set(test.compactMap { $0.window.map { [$0.lo, $0.hi] } }).count == 1)
    }

    @Test func slicesAlongAnotherAxisCarryTheirMasks() throws {
        var recipe = try Self.recipe()
        recipe.axis = 0
        let ref = try Self.reference()["BraTS/BraTS20_Training_002/BraTS20_Training_002_seg.nii.gz"]!
        let listing = try Listing.make(recipe: recipe, input: FixturePath.url("nifti-volumes/BraTS"))
        let item = try #require(listing.items.first { $0.path.hasSuffix("002_t1ce.nii.gz") })
        let processor = ItemProcessor(recipe: recipe, input: FixturePath.url("nifti-volumes/BraTS"),
                                      pseudonyms: Pseudonymizer(key: nil, seed: "t"), tiler: Tiler(recipe: recipe), maxBytes: 1 << 30)
        let slices = try processor.niftiSlices(item, FixturePath.url("nifti-volumes/BraTS/" + item.path))
        #expect(slices.count == Self.nx && slices.allSatisfy { $0.pixels.columns == Self.ny && $0.pixels.rows == Self.nz })
        var inside = 0
        for (i, s) in slices.enumerated() {
            for (m, name) in recipe.masks.enumerated() {
                let ours = Set(s.masks[m].values.indices.filter { s.masks[m].values[$0] != 0 })
                #expect(ours == ref[name]!["i"]![i], "slice \(i) \(name)")
                inside += ours.count
            }
        }
        #expect(inside > 0)
    }

    @Test func aLabelMapOfAnotherSizeIsOneLineAndMasksNeedLabelValues() throws {
        let folder = BuildTests.temporary("nifti-mismatch")
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("case1"), withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: folder) }
        try fm.copyItem(at: FixturePath.url("nifti-volumes/BraTS/BraTS20_Training_001/BraTS20_Training_001_t1.nii.gz"),
                        to: folder.appendingPathComponent("case1/case1_t1.nii.gz"))
        try fm.copyItem(at: FixturePath.url("nifti/standard.nii.gz"), to: folder.appendingPathComponent("case1/case1_seg.nii.gz"))
        var options = BuildOptions(recipe: try Self.recipe(), input: folder, output: folder.appendingPathComponent("out"))
        options.jobs = 1
        let summary = try DatasetBuilder.build(options)
        #expect(summary.skipped.count == 1)
        let reason = summary.skipped.first?.1 ?? ""
        #expect(reason.contains("label map") && reason.contains("case1_seg.nii.gz") && !reason.contains("\n"), "\(reason)")
        var r = try Self.recipe()
        r.masks = ["tumour", "liver"]
        #expect(r.problems().contains { $0.contains("'liver'") && $0.contains("--labels") })
    }
}
