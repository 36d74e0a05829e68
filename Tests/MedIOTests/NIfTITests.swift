import Foundation
import MedDataset
@testable import MedIO
import MedImage
import Testing
import TestSupport

/// nibabel's reading of the NIfTI fixtures (Tools/fixtures/make_nifti_fixtures.py).
struct NIfTIGolden: Decodable {
    struct VolumeRead: Decodable {
        var sha256: [String: String]
        var scaled_sum: Double?
    }

    var shape: [Int]
    var volumes: Int
    var slope: Double?
    var inter: Double?
    var affine: [[Double]]
    var orientation: String
    var qform_code: Int
    var sform_code: Int
    var zooms: [Double]
    var volumes_read: [String: VolumeRead]

    static let all: [String: NIfTIGolden] = {
        let data = try! Data(contentsOf: FixturePath.url("nifti/golden.json"))
        return try! JSONDecoder().decode([String: NIfTIGolden].self, from: data)
    }()
}

@Suite("NIfTI")
struct NIfTITests {
    static let files = NIfTIGolden.all.keys.sorted()

    func read(_ name: String, axis: Int? = nil, volume: Int = 0, frames: ReadOptions.Frames = .all) throws -> MedicalImage {
        var options = ReadOptions()
        options.axis = axis
        options.volume = volume
        options.frames = frames
        return try ImageFiles.read(FixturePath.url("nifti/\(name)"), options: options)
    }

    @Test("voxels equal nibabel's across every axis, first and last volume", arguments: files)
    func voxelsEqualNibabel(_ name: String) throws {
        let golden = try #require(NIfTIGolden.all[name])
        for (volume, expected) in golden.volumes_read {
            for axis in 0 ..< 3 {
                let image = try read(name, axis: axis, volume: Int(volume)!)
                let sizes = Array(golden.shape.prefix(3))
                let planes = [(1, 2), (0, 2), (0, 1)][axis]
                #expect(image.pixels.frames == sizes[axis])
                #expect(image.pixels.columns == sizes[planes.0] && image.pixels.rows == sizes[planes.1])
                #expect(SHA256.hex(image.pixels.samples.littleEndianBytes()) == expected.sha256[String(axis)],
                        "\(name) volume \(volume) axis \(axis)")
                if let sum = expected.scaled_sum {
                    let values = IntensityMapping.modalityValues(image.pixels, rescale: image.metadata.rescale)
                    let ours = values.samples.doubles().reduce(0, +)
                    #expect(abs(ours - sum) <= 1e-5 * max(abs(sum), 1), "\(name): sum \(ours) vs nibabel \(sum)")
                }
            }
        }
    }

    @Test("inspect reports nibabel's shape, voxel size, scaling, affine and orientation", arguments: files)
    func describeMatchesNibabel(_ name: String) throws {
        let golden = try #require(NIfTIGolden.all[name])
        let d = try ImageFiles.describe(FixturePath.url("nifti/\(name)"))
        #expect(d.format == .nifti)
        let v = try #require(d.volume)
        #expect(v.dimensions == golden.shape)
        #expect(v.volumes == golden.volumes)
        for (ours, theirs) in zip(v.voxelSizeMM, golden.zooms) { #expect(abs(ours - theirs) < 1e-6) }
        #expect(v.qformCode == golden.qform_code && v.sformCode == golden.sform_code)
        #expect(v.affineSource == (golden.sform_code > 0 ? "sform" : "qform"))
        let affine = try #require(v.affine)
        for r in 0 ..< 4 { for c in 0 ..< 4 { #expect(abs(affine[r][c] - golden.affine[r][c]) < 1e-4, "\(name) affine[\(r)][\(c)]") } }
        #expect(v.orientation == golden.orientation)
        if let slope = golden.slope, let inter = golden.inter {
            let rescale = try #require(d.rescale)
            #expect(abs(rescale.slope - slope) < 1e-9 && abs(rescale.intercept - inter) < 1e-6)
        }
    }

    @Test func datatypesAreReadAsDocumented() throws {
        #expect(try read("ch2_int8.nii").pixels.sampleType == .int16)
        #expect(try read("ch2_float64.nii.gz").pixels.sampleType == .float32)
        #expect(try read("ch2_uint16_scaled.nii.gz").metadata.rescale == Rescale(slope: 0.5, intercept: -10))
        let rgb = try read("ch2_rgb24.nii")
        #expect(rgb.pixels.samplesPerPixel == 3 && rgb.metadata.photometric == "RGB")
        #expect(try read("ch2_nifti2.nii").metadata.format == "NIfTI-2")
        let d = try ImageFiles.describe(FixturePath.url("nifti/ch2_float64.nii.gz"))
        #expect(d.volume?.datatype == "float64" && d.volume?.readAs == "float32")
        #expect(try ImageFiles.describe(FixturePath.url("nifti/ch2_pair.hdr")).volume?.storage == "pair")
    }

    /// Found by fuzzing: gzip data damaged inside its first block made zlib's read return -1,
    /// which reached Swift as a huge byte count and trapped. Now it is simply not a NIfTI file.
    @Test func damagedGzipIsAnErrorNotATrap() throws {
        let url = FixturePath.url("nifti/hostile/fuzz_damaged_gzip.nii.gz")
        #expect(throws: (any Error).self) { try ImageFormat.detect(url) }
        #expect(throws: (any Error).self) { try ImageFiles.read(url) }
    }

    @Test func oneSliceEqualsThatFrameOfAll() throws {
        let all = try read("functional.nii", axis: 1, volume: 7)
        let one = try read("functional.nii", axis: 1, volume: 7, frames: .index(5))
        #expect(one.pixels == all.pixels.frame(5))
        #expect(one.provenance.slice == 5)
    }

    @Test func regionCropsEverySlice() throws {
        var options = ReadOptions()
        options.region = Region(x: 3, y: 5, width: 10, height: 7)
        let cut = try ImageFiles.read(FixturePath.url("nifti/anatomical.nii"), options: options)
        #expect(cut.pixels == (try read("anatomical.nii")).pixels.cropped(x: 3, y: 5, width: 10, height: 7))
        options.region = Region(x: 30, y: 0, width: 10, height: 7)  // 33 columns: outside
        #expect(throws: NIfTIError.self) { try ImageFiles.read(FixturePath.url("nifti/anatomical.nii"), options: options) }
    }

    @Test("found by content whatever the name (gzip included)", arguments: ["standard.nii.gz", "anatomical.nii"])
    func foundByContent(_ name: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-nifti-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let renamed = dir.appendingPathComponent("scan_without_extension")
        try FileManager.default.copyItem(at: FixturePath.url("nifti/\(name)"), to: renamed)
        #expect(try ImageFormat.detect(renamed) == .nifti)
        #expect(try ImageFiles.read(renamed).pixels == read(name).pixels)
    }

    @Test func outOfRangeRequestsAreClearErrors() throws {
        #expect(throws: NIfTIError.self) { try read("functional.nii", volume: 20) }
        #expect(throws: NIfTIError.self) { try read("anatomical.nii", frames: .index(25)) }
        #expect(throws: NIfTIError.self) { try read("anatomical.nii", axis: 3) }
    }

    @Test func truncatedFilesAreRefusedNotCrashed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-nifti-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["anatomical.nii", "ch2_int32.nii.gz"] {
            let bytes = try Data(contentsOf: FixturePath.url("nifti/\(name)"))
            let cut = dir.appendingPathComponent("cut_" + name)
            try bytes.prefix(bytes.count / 2).write(to: cut)
            #expect(try ImageFiles.describe(cut).volume != nil)  // the header is whole
            let error = try #require(throws: NIfTIError.self) { try ImageFiles.read(cut) }
            #expect(error.code == .corrupt)
        }
    }

    /// A NIfTI-1 header (348 bytes, little-endian) and 4 extension bytes, nothing else.
    static func header(dims: [Int16], datatype: Int16, bitpix: Int16) -> Data {
        var h = [UInt8](repeating: 0, count: 352)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { h.replaceSubrange(offset ..< offset + $0.count, with: $0) }
        }
        put(Int32(348), at: 0)
        put(Int16(dims.count), at: 40)
        for (i, d) in dims.enumerated() { put(d, at: 42 + 2 * i) }
        put(datatype, at: 70)
        put(bitpix, at: 72)
        for i in 0 ..< 8 { put(Float(1).bitPattern, at: 76 + 4 * i) }
        put(Float(352).bitPattern, at: 108)
        h.replaceSubrange(344 ..< 348, with: Array("n+1\0".utf8))
        return Data(h)
    }

    @Test("a header claiming 2^31 voxels is described, never allocated", arguments: [(Int16(16), Int16(32)), (2, 8)])
    func hugeHeader(_ type: (Int16, Int16)) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-huge-\(UUID().uuidString).nii")
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.header(dims: [2048, 1024, 1024], datatype: type.0, bitpix: type.1).write(to: url)
        #expect(try ImageFiles.describe(url).volume?.dimensions == [2048, 1024, 1024])
        // float32: 8 GiB, over the 4 GiB default budget; uint8: 2 GiB under it, but the file holds none of it.
        let error = try #require(throws: (any Error).self) { try ImageFiles.read(url) }
        if type.0 == 16 {
            #expect((error as? InputError)?.code == .tooLarge)
        } else {
            #expect((error as? NIfTIError)?.code == .corrupt)
        }
    }

    @Test func sniffRecognisesBothVersionsAndByteOrders() throws {
        var n1 = [UInt8](Self.header(dims: [2, 2, 2], datatype: 2, bitpix: 8))
        #expect(ImageFormat.sniff(n1) == .nifti)
        n1.replaceSubrange(0 ..< 4, with: [0, 0, 1, 0x5C])  // 348 big-endian
        #expect(ImageFormat.sniff(n1) == .nifti)
        n1.replaceSubrange(344 ..< 348, with: [0, 0, 0, 0])  // ANALYZE 7.5: no magic
        #expect(ImageFormat.sniff(n1) == nil)
        var n2 = [UInt8](repeating: 0, count: 540)
        n2.replaceSubrange(0 ..< 12, with: [0x1C, 0x02, 0, 0] + Array("n+2\0\r\n\u{1A}\n".utf8))
        #expect(ImageFormat.sniff(n2) == .nifti)
    }
}

extension Samples {
    /// Every sample as a Double (test helper).
    func doubles() -> [Double] {
        switch self {
        case .uint8(let a): a.map(Double.init)
        case .uint16(let a): a.map(Double.init)
        case .int16(let a): a.map(Double.init)
        case .uint32(let a): a.map(Double.init)
        case .int32(let a): a.map(Double.init)
        case .float32(let a): a.map(Double.init)
        }
    }
}

@Suite("DICOM series to NIfTI")
struct SeriesToNIfTITests {
    /// The fixture series' slices at z = 0, 3, 6 mm (c, a, e): a contiguous run; b (12) follows a gap.
    static func run(_ names: [String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-series-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in names {
            try FileManager.default.copyItem(at: FixturePath.url("dicom/series/\(name).dcm"), to: dir.appendingPathComponent("\(name).dcm"))
        }
        return dir
    }

    @Test func aSeriesRoundTripsWithTheAffineFromItsGeometry() throws {
        let input = try Self.run(["c", "a", "e"])
        defer { try? FileManager.default.removeItem(at: input) }
        let out = input.appendingPathComponent("out/run.nii.gz")
        let written = try SeriesVolume.load(folder: input).writeNIfTI(to: out)
        #expect(written.map(\.lastPathComponent) == ["run.nii.gz", "run.json"])
        // Voxels: slice k is the k-th DICOM along the normal, stored values, rows as in DICOM.
        let volume = try ImageFiles.read(out)
        let slices = try ["c", "a", "e"].map { try ImageFiles.read(FixturePath.url("dicom/series/\($0).dcm")).pixels }
        #expect(volume.pixels == PixelArray.stacking(slices))
        // Affine: PixelSpacing 0.9, IOP identity, IPP (0, 0, 0) then +3 mm in z; LPS → RAS negates x and y.
        let v = try #require(try ImageFiles.describe(out).volume)
        let expected: [[Double]] = [[-0.9, 0, 0, 0], [0, -0.9, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]]
        for r in 0 ..< 4 { for c in 0 ..< 4 { #expect(abs(v.affine![r][c] - expected[r][c]) < 1e-5) } }
        #expect(v.orientation == "LPS" && v.qformCode == 1 && v.sformCode == 1)
        // The sidecar holds acquisition parameters and nothing that names the patient.
        let json = try String(decoding: Data(contentsOf: written[1]), as: UTF8.self)
        #expect(json.contains("\"Modality\" : \"MR\""))
        #expect(!json.localizedCaseInsensitiveContains("canary") && !json.contains("PatientName") && !json.contains("UID"))
    }

    @Test func gapsAndUnevenSpacingAreRefusedNotResampled() throws {
        let all = try Self.run(["a", "b", "c", "d", "e"])
        let uneven = try Self.run(["e", "b", "d"])  // 6, 12, 15 mm
        defer { try? FileManager.default.removeItem(at: all); try? FileManager.default.removeItem(at: uneven) }
        let gap = try #require(throws: InputError.self) { try SeriesVolume.load(folder: all) }
        #expect(gap.message.contains("gap"))
        let odd = try #require(throws: InputError.self) { try SeriesVolume.load(folder: uneven) }
        #expect(odd.message.contains("regular grid"))
    }

    @Test("a volume over several 4 MiB gzip members reads back equal, as .nii and .nii.gz", arguments: [1, 2])
    func multiMemberGzipRoundTrips(threads: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-gz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (columns, rows, slices) = (512, 512, 20)  // 10 MiB of int16: three members
        let values = (0 ..< columns * rows * slices).map { Int16(truncatingIfNeeded: ($0 * 7919) % 4093 - 1024) }
        let pixels = PixelArray(frames: slices, rows: rows, columns: columns, samples: .int16(values))
        let volume = SeriesVolume(pixels: pixels, rescale: Rescale(slope: 1, intercept: -1024),
                                  affine: [-0.6, 0, 0, 150, 0, -0.6, 0, 150, 0, 0, 1.25, -100, 0, 0, 0, 1],
                                  spacingMM: [0.6, 0.6, 1.25],
                                  sidecar: try NIfTISidecar(path: FixturePath.url("dicom/series/c.dcm").path, orientation: [1, 0, 0, 0, 1, 0]))
        for name in ["v.nii.gz", "v.nii"] {
            let url = dir.appendingPathComponent(name)
            _ = try volume.writeNIfTI(to: url, threads: threads)
            let back = try ImageFiles.read(url)  // nifticlib's reader (zlib's gzread across members)
            #expect(back.pixels == pixels, "\(name)")
            #expect(back.metadata.rescale == Rescale(slope: 1, intercept: -1024))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["v.json", "v.nii", "v.nii.gz"])
    }
}
