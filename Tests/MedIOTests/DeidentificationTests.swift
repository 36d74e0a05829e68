import Foundation
@testable import MedIO
import MedImage
import Testing
import TestSupport

/// De-identification of derived DICOM images by PS3.15 Annex E (`medsr upscale … out.dcm`),
/// against an object full of synthetic PHI (Tools/fixtures/make_deid_phi.py).
@Suite struct DeidentificationTests {
    static let source = FixturePath.url("dicom/deid/phi_ct.dcm")
    static let key = Array("a fixed test key, 32 bytes long!".utf8)

    static func identifying() throws -> [String] {
        let json = try #require(try FixturePath.json("dicom/deid/phi_ct.json") as? [String: Any])
        return try #require(json["identifying"] as? [String])
    }

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("medsr-deid-\(name)-\(UUID().uuidString).dcm")
    }

    /// A derived ×2 image of the PHI fixture (grey 16-bit), de-identified with `options`.
    static func derived(_ options: Set<ConfidentialityProfile.Option> = [], key: [UInt8] = key) throws -> URL {
        let image = try ImageFiles.read(source, options: { var o = ReadOptions(); o.forceGray = true; return o }())
        let rows = image.pixels.rows * 2, columns = image.pixels.columns * 2
        let values = (0 ..< rows * columns).map { Int16(truncatingIfNeeded: $0 % 4000 - 1000) }
        let out = temporary("derived")
        try DICOMWriter.writeDerived(PixelArray(rows: rows, columns: columns, samples: .int16(values)), source: source, to: out,
                                     scale: 2, description: "MedSR test x2",
                                     deidentification: Deidentification(options: options, key: key))
        return out
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        Data(bytes).range(of: Data(text.utf8)) != nil
    }

    /// The evidence: no identifying value of the source survives anywhere in the file (data set,
    /// sequences, private groups, meta header, preamble), for the derived image and for a plain
    /// de-identified copy.
    @Test(arguments: ["derived", "copy"]) func noIdentifyingValueSurvives(_ kind: String) throws {
        let url: URL
        if kind == "derived" {
            url = try Self.derived()
        } else {
            url = Self.temporary("copy")
            try DICOMWriter.writeDeidentified(source: Self.source, to: url, Deidentification(key: Self.key))
        }
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = [UInt8](try Data(contentsOf: url))
        let sourceBytes = [UInt8](try Data(contentsOf: Self.source))
        let values = try Self.identifying()
        #expect(values.count > 60)
        let missing = values.filter { !Self.contains(sourceBytes, $0) }
        let survived = values.filter { Self.contains(bytes, $0) }
        #expect(missing.isEmpty, "the fixture lacks \(missing)")
        #expect(survived.isEmpty, "survived de-identification: \(survived)")
        let preambleIsZero = bytes.prefix(128).allSatisfy { $0 == 0 }
        #expect(preambleIsZero, "the preamble is replaced")
        // Still an image MedSR reads, with the method recorded.
        _ = try ImageFiles.read(url)
        let file = try DICOMFile(path: url.path)
        #expect(file.string("0012,0062") == "YES")
        #expect(file.string("0012,0064/0/0008,0100") == "113100" && file.string("0012,0064/0/0008,0102") == "DCM")
        #expect(file.string("0028,0303") == "REMOVED")
        // Type 2 attributes the profile marks Z are emptied, not removed (the IOD stays valid).
        let present = Set(file.elements(in: "").map(\.tag))
        for tag: UInt32 in [0x0010_0010, 0x0010_0020, 0x0010_0030, 0x0010_0040, 0x0008_0020, 0x0008_0030, 0x0008_0090, 0x0020_0010, 0x0008_0050] {
            #expect(present.contains(tag) && file.string(DICOMFile.key(tag)) == nil, "\(DICOMFile.key(tag)) is present and empty")
        }
        #expect(!present.contains { $0 >> 16 & 1 == 1 }, "no private element")
        #expect(!present.contains { $0 >> 16 == 0x6000 }, "no overlay")
    }

    /// U: the same UID gets the same replacement everywhere and in every run with one key; another
    /// key gives another.
    @Test func uidsAreReplacedConsistently() throws {
        let a = try Self.derived(), b = try Self.derived(), c = try Self.derived(key: Array("another key of thirty-two bytes!".utf8))
        defer { for url in [a, b, c] { try? FileManager.default.removeItem(at: url) } }
        let fa = try DICOMFile(path: a.path), fb = try DICOMFile(path: b.path), fc = try DICOMFile(path: c.path)
        let original = try DICOMFile(path: Self.source.path)
        let settings = Deidentification(key: Self.key)
        let study = original.string("0020,000D") ?? "absent"
        #expect(fa.string("0020,000D") == settings.uid(for: study) && fb.string("0020,000D") == fa.string("0020,000D"))
        #expect(fc.string("0020,000D") != fa.string("0020,000D"))
        // The source's own instance is referenced by its replacement; the derived image is new.
        let instance = original.string("0008,0018") ?? "absent"
        #expect(fa.string("0008,2112/0/0008,1155") == settings.uid(for: instance))
        #expect(fa.string("0008,0018") != fb.string("0008,0018"))
        for uid in [fa.string("0020,000D")!, fa.string("0008,0018")!, fa.string("0020,000E")!] {
            #expect(uid.hasPrefix("2.25.") && uid.count <= 64 && uid.dropFirst(5).allSatisfy(\.isNumber))
        }
    }

    /// Retain Longitudinal Temporal Information with Modified Dates: every date moves by the same
    /// whole number of days (times kept), and the method says so.
    @Test func modifiedDatesShiftEveryDateByOneOffset() throws {
        let url = try Self.derived([.retainLongitudinalModifiedDates])
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try DICOMFile(path: url.path)
        let shift = Deidentification(key: Self.key).dayShift(patientID: "00007041776")
        #expect((-3650 ... -365).contains(shift))
        let expected = try #require(Deidentifier.shift("20230101", days: shift))
        #expect(file.string("0008,0020") == expected)
        #expect(file.string("0008,0022") == expected && file.string("0040,0244") == expected)
        #expect(file.string("0008,002A") == expected + "011721.621000")
        #expect(file.string("0018,1200") == Deidentifier.shift("20200101", days: shift))
        #expect(file.string("0008,0030") == "011635.943000")
        #expect(file.string("0010,0030") == nil, "birth date stays Z: no option keeps it")
        #expect(file.string("0028,0303") == "MODIFIED")
        #expect(file.string("0012,0064/1/0008,0100") == "113107")
    }

    @Test func withoutTemporalOptionsDatesAndTimesGo() throws {
        let url = try Self.derived()
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try DICOMFile(path: url.path)
        for tag in ["0008,0021", "0008,0022", "0008,002A", "0008,0031", "0008,0032", "0018,1200", "0040,0244", "0040,0245"] {
            #expect(file.string(tag) == nil, "\(tag)")
        }
    }

    @Test func patientCharacteristicsAreKeptOnlyWithTheirOption() throws {
        let plain = try Self.derived(), kept = try Self.derived([.retainPatientCharacteristics])
        defer { for url in [plain, kept] { try? FileManager.default.removeItem(at: url) } }
        let p = try DICOMFile(path: plain.path), k = try DICOMFile(path: kept.path)
        #expect(p.string("0010,0040") == nil && p.string("0010,1010") == nil && p.string("0010,1030") == nil)
        #expect(k.string("0010,0040") == "M" && k.string("0010,1010") == "075Y" || k.string("0010,1010") == "75Y")
        #expect(k.number("0010,1030").map { abs($0 - 152.038864155) < 1e-6 } == true)
        #expect(k.string("0012,0064/1/0008,0100") == "113108")
    }

    /// Clean Descriptors: descriptions and comments stay, without the object's identifying values
    /// or long digit runs.
    @Test func cleanDescriptorsKeepsTextWithoutIdentifiers() throws {
        let url = try Self.derived([.cleanDescriptors])
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try DICOMFile(path: url.path)
        #expect(file.string("0008,1030") == "CT BRAIN WO IVCON")
        let comment = file.string("0020,4000") ?? ""
        #expect(comment.contains("MRN") && comment.contains("seen on"), "\(comment)")
        for word in ["Homer", "Simpson", "00007041776", "20230101", "Springfield"] {
            #expect(!comment.localizedCaseInsensitiveContains(word), "\(word) in \(comment)")
        }
        #expect(file.string("0012,0064/1/0008,0100") == "113105")
        // Request Attributes Sequence (X, C under the option) is cleaned, its codes kept.
        #expect(file.string("0040,0275/0/0032,1064/0/0008,0100") == "SGH0101")
        #expect(file.string("0040,0275/0/0020,000D") == file.string("0020,000D"), "one replacement UID everywhere")
    }

    @Test func keepIdentifiersKeepsThem() throws {
        let image = try ImageFiles.read(Self.source, options: { var o = ReadOptions(); o.forceGray = true; return o }())
        let out = Self.temporary("keep")
        defer { try? FileManager.default.removeItem(at: out) }
        let values = image.pixels.frame(0).samples.floats().map { Int16($0) }
        try DICOMWriter.writeDerived(PixelArray(rows: image.pixels.rows, columns: image.pixels.columns, samples: .int16(values)),
                                     source: Self.source, to: out, scale: 1,
                                     description: "x", deidentification: nil)
        let file = try DICOMFile(path: out.path)
        #expect(file.string("0010,0010")?.hasPrefix("SIMPSON^HOMER^J") == true && file.string("0012,0062") == nil)
    }

    /// Table E.1-1 as transcribed: rows checked against the standard's text.
    @Test func tableRowsMatchTheStandard() {
        typealias P = ConfidentialityProfile
        #expect(P.rows.count == 460)
        #expect(Set(P.rows.map(\.name)).count == P.rows.count)
        let acquisitionDate = P.row(for: 0x0008_0022)!
        #expect(acquisitionDate.basic == .xz && acquisitionDate.options == [.retainLongitudinalFullDates: .k, .retainLongitudinalModifiedDates: .c])
        #expect(P.row(for: 0x0010_0040)!.basic == .z && P.row(for: 0x0010_0040)!.action(with: [.retainPatientCharacteristics]) == .k)
        #expect(P.row(for: 0x0008_1140)!.basic == .xzu && P.row(for: 0x0008_2112)!.basic == .xzu)
        #expect(P.row(for: 0x0008_002A)!.basic == .xzd && P.row(for: 0x0008_0023)!.basic == .zd && P.row(for: 0x0018_1030)!.basic == .xd)
        #expect(P.row(for: 0x0020_000D)!.basic == .u && P.row(for: 0x0020_000D)!.action(with: [.retainUIDs]) == .k)
        #expect(P.row(for: 0x0008_1120)!.action(with: [.retainUIDs]) == .x)
        #expect(P.row(for: 0x0029_1010)!.basic == .x && P.row(for: 0x6002_3000)!.basic == .x && P.row(for: 0x5010_0005)!.basic == .x)
        #expect(P.row(for: 0x0028_0010) == nil)
        #expect(Set(P.Option.allCases.map(\.code)) == Set((103 ... 112).map { "113\($0)" }))
    }

    /// Decisions for attributes the table lists with IOD-dependent actions, and for attributes it
    /// does not list (by VR).
    @Test func stepsFollowTheTableAndTheVR() {
        let basic = Deidentifier(Deidentification(key: Self.key), patientID: "p")
        let dated = Deidentifier(Deidentification(options: [.retainLongitudinalModifiedDates], key: Self.key), patientID: "p")
        func step(_ d: Deidentifier, _ tag: UInt32, _ vr: String, _ value: String? = nil) -> Deidentifier.Step {
            d.step(for: DICOMFile.Element(tag: tag, vr: vr)) { value }
        }
        #expect(step(basic, 0x0010_2297, "PN") == .empty, "Responsible Person: X, but Type 2C for animals")
        #expect(step(basic, 0x0040_0555, "SQ") == .empty, "Acquisition Context Sequence: X/Z, Type 2 in DX")
        #expect(step(basic, 0x0008_1140, "SQ") == .remove, "Referenced Image Sequence: X/Z/U*, Type 3")
        #expect(step(basic, 0x0040_A730, "SQ") == .recurse(clean: false), "Content Sequence: D walks its items")
        #expect(step(basic, 0x0010_1040, "LO") == .remove && step(basic, 0x0010_0010, "PN") == .empty)
        #expect(step(basic, 0x0020_000D, "UI") == .replaceUID)
        #expect(step(basic, 0x0008_0016, "UI", "1.2.840.10008.5.1.4.1.1.2") == .keep)
        #expect(step(basic, 0x0008_9123, "UI", "1.3.12.2.1107.5.1.4") == .replaceUID, "unlisted instance UID")
        #expect(step(basic, 0x0008_1150, "UI", "1.3.12.2.1107.5.9.1") == .keep, "a class UID, even a private one")
        #expect(step(basic, 0x0018_1200, "DA") == .remove && step(dated, 0x0018_1200, "DA") == .shiftDates)
        #expect(step(basic, 0x0018_1201, "TM") == .remove && step(dated, 0x0018_1201, "TM") == .keep)
        #expect(step(basic, 0x0008_1000, "AE") == .remove && step(basic, 0x0009_1001, "LO") == .remove)
        #expect(step(basic, 0x6000_0010, "US") == .remove && step(basic, 0x0028_0010, "US") == .keep)
        #expect(step(basic, 0x0018_0050, "DS") == .keep)
    }

    @Test func dateArithmetic() {
        #expect(Deidentifier.shift("20000301", days: -1) == "20000229")
        #expect(Deidentifier.shift("19000301", days: -1) == "19000228")
        #expect(Deidentifier.shift("20230101011721.621000-0500", days: -366) == "20211231011721.621000-0500")
        #expect(Deidentifier.shift("2023", days: -1) == nil && Deidentifier.shift("20231301", days: 1) == nil)
        for day in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = Deidentifier.civil(fromDays: day)
            #expect(Deidentifier.days(fromCivil: y, m, d) == day)
        }
    }

    @Test func uidDecimalConversion() {
        #expect(Deidentification.decimal([0x01, 0x00]) == "256")
        #expect(Deidentification.decimal([UInt8](repeating: 0xFF, count: 16)) == "340282366920938463463374607431768211455")
        #expect(Deidentification.decimal([0, 0]) == "0")
    }
}
