import Foundation
import MedIO
import MedImage
import Testing
import TestSupport

/// `inspect` (describe) of a cut file: the declared sizes are checked against the file, without
/// decoding pixels, and the error says where the file ends.
@Suite("Truncated files")
struct TruncationTests {
    static func cut(_ fixture: String, to length: Int) throws -> URL {
        let data = try Data(contentsOf: FixturePath.url(fixture))
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("medsr-cut-\(UUID().uuidString).\(URL(fileURLWithPath: fixture).pathExtension)")
        try data.prefix(length).write(to: url)
        return url
    }

    static func size(_ fixture: String) throws -> Int { try Data(contentsOf: FixturePath.url(fixture)).count }

    /// Every cut after the header, including one byte short of the end (the IEND chunk's CRC).
    @Test(arguments: [40, 100, 1000, -12, -1])
    func cutPNGIsTruncated(_ at: Int) throws {
        let fixture = "png/types/rgb16.png"
        let url = try Self.cut(fixture, to: at > 0 ? at : try Self.size(fixture) + at)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: PNGError.self) { try ImageFiles.describe(url) }
        #expect(error?.code == .corrupt)
        #expect(error?.description.contains("the file is truncated") == true)
        #expect(error?.description.contains("the file ends at byte") == true)
    }

    /// figshare 5.mat is MATLAB v5: one compressed element from byte 128 to the end.
    @Test(arguments: [130, 136, 40000, -1])
    func cutMATv5IsTruncated(_ at: Int) throws {
        let fixture = "mat/figshare/5.mat"
        let total = try Self.size(fixture)
        let url = try Self.cut(fixture, to: at > 0 ? at : total + at)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: MATError.self) { try ImageFiles.describe(url) }
        #expect(error?.code == .corrupt)
        if at >= 136 || at < 0 {
            #expect(error?.description.contains("data element at byte 128 (type 15) declares \(total - 136) bytes") == true)
        }
    }

    @Test(arguments: ["png/types/rgb16.png", "png/types/gray8.png", "mat/figshare/5.mat", "mat/figshare/1.mat"])
    func wholeFilesAreNotTruncated(_ fixture: String) throws {
        #expect(throws: Never.self) { try ImageFiles.describe(FixturePath.url(fixture)) }
    }

    /// pydicom's MR_truncated.dcm, and a.dcm cut inside its file meta and inside its pixel data.
    @Test func cutDICOMSaysWhereItEnds() throws {
        let real = #expect(throws: DICOMError.self) { try ImageFiles.describe(FixturePath.url("dicom/conformance/MR_truncated.dcm")) }
        #expect(real?.description.contains(
            "the file ends early: element (7FE0,0010) at byte 1488 declares 8192 bytes; the file ends at byte 9630 (the pixel data is cut off)") == true)
        #expect(real?.description.contains("I/O suspension") == false)
        let meta = try Self.cut("dicom/series/a.dcm", to: 300)
        defer { try? FileManager.default.removeItem(at: meta) }
        let early = #expect(throws: DICOMError.self) { try ImageFiles.describe(meta) }
        #expect(early?.description.contains("the file ends early: element (0002,0012) at byte 292") == true)
        let total = try Self.size("dicom/series/a.dcm")
        let pixels = try Self.cut("dicom/series/a.dcm", to: total - 100)
        defer { try? FileManager.default.removeItem(at: pixels) }
        let late = #expect(throws: DICOMError.self) { try ImageFiles.read(pixels) }
        #expect(late?.description.contains("element (7FE0,0010)") == true)
        #expect(late?.description.contains("the file ends at byte \(total - 100)") == true)
    }

    /// A README.txt is not an image; a damaged .dcm is one (and is reported).
    @Test func imageCandidatesByContentOrName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-cand-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("hello".utf8).write(to: dir.appendingPathComponent("README.txt"))
        try Data("garbage".utf8).write(to: dir.appendingPathComponent("broken.dcm"))
        try Data(contentsOf: FixturePath.url("dicom/series/a.dcm")).write(to: dir.appendingPathComponent("IM0001"))
        #expect(!ImageFiles.isImageCandidate(dir.appendingPathComponent("README.txt")))
        #expect(ImageFiles.isImageCandidate(dir.appendingPathComponent("broken.dcm")))
        #expect(ImageFiles.isImageCandidate(dir.appendingPathComponent("IM0001")))
    }
}
