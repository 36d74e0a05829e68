import Foundation
import MedImage

/// Applies a `Deidentification` to an open DICOM data set, element by element and into every
/// item of every sequence (PS3.15 E.1.1: "whether contained in the main dataset or embedded in an
/// Item of a Sequence of Items").
///
/// Attributes Table E.1-1 lists get the table's action under the chosen options. Attributes it
/// does not list are handled by VR (E.1.1 note 4): private elements are removed, person names and
/// AE titles are removed, overlay groups are removed with their data, dates and times are removed (kept or shifted under the temporal options), instance
/// UIDs are replaced (class and coding-scheme UIDs and DICOM's own `1.2.840.10008.` UIDs stay),
/// sequences are walked, other values are kept.
struct Deidentifier {
    let settings: Deidentification
    /// The shift of every date under the Modified Dates option.
    let dayShift: Int
    /// Identifying values found in the data set (names, IDs, addresses, …): removed from any
    /// text an option keeps in cleaned form.
    private(set) var identifying: [String] = []

    init(_ settings: Deidentification, patientID: String) {
        self.settings = settings
        dayShift = settings.dayShift(patientID: patientID)
    }

    /// Resolved actions; `.recurse` walks a sequence's items, `.clean` replaces text.
    enum Step: Equatable { case remove, empty, dummy, keep, recurse(clean: Bool), clean, replaceUID, shiftDates }

    /// De-identifies `file` in place and records the method (Patient Identity Removed,
    /// De-identification Method and its Code Sequence, Longitudinal Temporal Information Modified).
    static func apply(_ settings: Deidentification, to file: inout DICOMFile) throws(DICOMError) {
        var deidentifier = Deidentifier(settings, patientID: file.string("0010,0020") ?? "")
        deidentifier.collectIdentifying(in: file, item: "")
        try deidentifier.walk(&file, item: "", cleaning: false)
        try deidentifier.record(in: &file)
    }

    // MARK: Deciding

    /// Tags whose UI values name classes, syntaxes or coding schemes, not instances.
    static let classUIDs: Set<UInt32> = [
        0x0008_0016, 0x0008_001A, 0x0008_001B, 0x0008_0062, 0x0008_010C, 0x0008_0117, 0x0008_0118, 0x0008_1150,
        0x0004_1510, 0x0004_1512, 0x0400_0510, 0x0002_0002, 0x0002_0010, 0x0002_0012,
    ]

    /// Code Value, Coding Scheme Designator and Version, Long and URN Code Value: coded entries
    /// stay as they are inside a cleaned sequence (E.1.1 note 10); their meanings are cleaned.
    static let codedEntry: Set<UInt32> = [0x0008_0100, 0x0008_0102, 0x0008_0103, 0x0008_0119, 0x0008_0120]

    /// Types (1 or 2) that attributes the profile removes have in the IODs MedSR writes (derived
    /// images of the common image IODs, Secondary Capture), when present; absent = Type 3. They
    /// decide the compound actions (X/Z, X/D, X/Z/D, Z/D, X/Z/U*), and an X of a Type 2
    /// attribute empties it instead (nothing of the value is left, and the object stays valid).
    static let requiredType: [UInt32: Int] = [
        0x0010_2203: 2,  // Patient's Sex Neutered: Type 2C in Patient, for animals (X/Z).
        0x0010_2297: 2,  // Responsible Person: Type 2C in Patient, for animals (X).
        0x0010_2299: 2,  // Responsible Organization: Type 2C in Patient, for animals (X).
        0x0040_0555: 2,  // Acquisition Context Sequence: Type 2 in DX, CR, MG, IO, … (X/Z).
    ]

    func step(for element: DICOMFile.Element, value: () -> String?) -> Step {
        let group = UInt16(element.tag >> 16)
        if element.tag & 0xFFFF == 0 { return .remove }  // group lengths: recomputed on writing
        // Overlay Data (60xx,3000) goes (X; MedSR does not implement the Clean Graphics option):
        // the rest of its overlay group would then describe a plane that is not there.
        if group & 0xFF01 == 0x6000 { return .remove }
        if let row = ConfidentialityProfile.row(for: element.tag) {
            return step(for: row.action(with: settings.options), element: element)
        }
        if group & 1 == 1 { return .remove }
        let options = settings.options
        switch element.vr {
        case "SQ": return .recurse(clean: false)
        case "PN": return .remove
        case "DA", "DT", "TM":
            if options.contains(.retainLongitudinalFullDates) { return .keep }
            if options.contains(.retainLongitudinalModifiedDates) { return element.vr == "TM" ? .keep : .shiftDates }
            return .remove
        case "AE":  // network node names: device identity
            return options.contains(.retainDeviceIdentity) ? .keep : .remove
        case "UI":
            if options.contains(.retainUIDs) || Self.classUIDs.contains(element.tag) { return .keep }
            return value()?.hasPrefix("1.2.840.10008.") == true ? .keep : .replaceUID
        default: return .keep
        }
    }

    private func step(for action: ConfidentialityProfile.Action, element: DICOMFile.Element) -> Step {
        let sequence = element.vr == "SQ"
        let type = Self.requiredType[element.tag]
        switch action {
        case .x: return type == nil ? .remove : .empty
        case .z: return .empty
        case .d: return sequence ? .recurse(clean: false) : .dummy
        case .k: return sequence ? .recurse(clean: false) : .keep
        case .u: return .replaceUID
        case .c:
            if sequence { return .recurse(clean: true) }
            switch element.vr {
            case "DA", "DT": return .shiftDates
            case "TM": return .keep  // a time of day without its date identifies no one
            default: return .clean
            }
        case .zd: return type == 1 ? (sequence ? .recurse(clean: false) : .dummy) : .empty
        case .xz: return type == nil ? .remove : .empty
        case .xd: return type == nil ? .remove : (sequence ? .recurse(clean: false) : .dummy)
        case .xzd: return type == nil ? .remove : type == 2 ? .empty : (sequence ? .recurse(clean: false) : .dummy)
        case .xzu: return type == nil ? .remove : type == 2 ? .empty : .recurse(clean: false)
        }
    }

    // MARK: Doing

    private mutating func collectIdentifying(in file: borrowing DICOMFile, item: String) {
        for element in file.elements(in: item) {
            let path = DICOMFile.path(item, element.tag)
            if element.vr == "SQ" {
                for index in 0 ..< (file.count(path) ?? 0) { collectIdentifying(in: file, item: "\(path)/\(index)") }
                continue
            }
            guard ["PN", "LO", "SH", "LT", "ST", "UT", "UC", "AE", "DA", "DT", "AS"].contains(element.vr) else { continue }
            switch step(for: element, value: { nil }) {
            case .remove, .empty, .dummy, .replaceUID, .shiftDates:
                guard let value = file.string(path) else { continue }
                // The whole values, and their words (name components, address parts, …).
                let parts = value.split(separator: "\\").map(String.init)
                    + value.split { !($0.isLetter || $0.isNumber) }.map(String.init)
                identifying += parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.count >= 3 }
            default: continue
            }
        }
    }

    private func walk(_ file: inout DICOMFile, item: String, cleaning: Bool) throws(DICOMError) {
        for element in file.elements(in: item) {
            let path = DICOMFile.path(item, element.tag)
            var step = step(for: element) { file.string(path) }
            if cleaning, step == .keep, ["LO", "SH", "LT", "ST", "UT", "UC"].contains(element.vr),
               !Self.codedEntry.contains(element.tag) { step = .clean }
            switch step {
            case .remove: file.delete(path)
            case .empty: try file.put(path, "")
            case .keep: continue
            case .dummy: try file.put(path, Self.dummy(vr: element.vr, uid: file.string(path).map(settings.uid(for:))))
            case .recurse(let clean):
                for index in 0 ..< (file.count(path) ?? 0) {
                    try walk(&file, item: "\(path)/\(index)", cleaning: cleaning || clean)
                }
            case .clean:
                guard let value = file.string(path) else { continue }
                try file.put(path, cleaned(value))
            case .replaceUID:
                guard let value = file.string(path) else { continue }
                try file.put(path, value.split(separator: "\\").map { settings.uid(for: String($0)) }.joined(separator: "\\"))
            case .shiftDates:
                guard let value = file.string(path) else { continue }
                let shifted = value.split(separator: "\\", omittingEmptySubsequences: false).map { Self.shift(String($0), days: dayShift) }
                if shifted.contains(nil) { file.delete(path) } else { try file.put(path, shifted.map { $0! }.joined(separator: "\\")) }
            }
        }
    }

    /// Type 2 attributes of the Patient and General Study modules (every composite image IOD):
    /// added empty when the source lacks them, so the de-identified object is complete.
    static let type2PatientAndStudy = ["0010,0010", "0010,0020", "0010,0030", "0010,0040", "0008,0020", "0008,0030",
                                       "0008,0090", "0020,0010", "0008,0050"]

    private func record(in file: inout DICOMFile) throws(DICOMError) {
        let options = settings.options
        let present = Set(file.elements(in: "").map(\.key))
        for key in Self.type2PatientAndStudy where !present.contains(key) { try file.put(key, "") }
        try file.put("0012,0062", "YES")
        let method = ["PS3.15 Basic Application Confidentiality Profile"] + options.sorted().map(\.meaning)
        try file.put("0012,0063", method.joined(separator: "\\"))
        try file.put("0012,0064", "")
        for (code, meaning) in settings.methodCodes {
            let index = try file.appendItem("0012,0064")
            try file.put("0012,0064/\(index)/0008,0100", code)
            try file.put("0012,0064/\(index)/0008,0102", "DCM")
            try file.put("0012,0064/\(index)/0008,0104", meaning)
        }
        let temporal = options.contains(.retainLongitudinalFullDates) ? "UNMODIFIED"
            : options.contains(.retainLongitudinalModifiedDates) ? "MODIFIED" : "REMOVED"
        try file.put("0028,0303", temporal)
    }

    // MARK: Values

    /// A dummy value consistent with the VR (D); for UIDs, the replacement UID.
    static func dummy(vr: String, uid: String?) -> String {
        switch vr {
        case "PN": "ANONYMOUS"
        case "DA": "19000101"
        case "TM": "000000"
        case "DT": "19000101000000"
        case "IS", "DS", "US", "SS", "UL", "SL", "FL", "FD": "0"
        case "UI": uid ?? "2.25.0"
        case "AS": "000Y"
        case "CS": "ANONYMIZED"
        case "OB", "OW", "OF", "OD", "OL", "OV", "UN": ""
        default: "ANONYMIZED"
        }
    }

    /// `text` with every identifying value of this data set and every run of four or more digits
    /// (dates, record numbers, telephone numbers) replaced by `*`.
    func cleaned(_ text: String) -> String {
        var out = text
        for value in identifying.sorted(by: { $0.count > $1.count }) {
            out = out.replacingOccurrences(of: value, with: String(repeating: "*", count: value.count), options: .caseInsensitive)
        }
        var result = "", digits = ""
        for character in out {
            if character.isASCII && character.isNumber { digits.append(character); continue }
            result += digits.count >= 4 ? String(repeating: "*", count: digits.count) : digits
            digits = ""
            result.append(character)
        }
        return result + (digits.count >= 4 ? String(repeating: "*", count: digits.count) : digits)
    }

    /// A DA (`YYYYMMDD`) or DT (`YYYYMMDD…`) value moved by `days`; nil when it is not a date.
    static func shift(_ value: String, days: Int) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "" }
        let chars = Array(trimmed)
        guard chars.count >= 8, chars[0 ..< 8].allSatisfy({ $0.isASCII && $0.isNumber }),
              let y = Int(String(chars[0 ..< 4])), let m = Int(String(chars[4 ..< 6])), let d = Int(String(chars[6 ..< 8])),
              (1 ... 12).contains(m), (1 ... 31).contains(d) else { return nil }
        let (ny, nm, nd) = civil(fromDays: Self.days(fromCivil: y, m, d) + days)
        guard (0 ... 9999).contains(ny) else { return nil }
        func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return pad(ny, 4) + pad(nm, 2) + pad(nd, 2) + String(chars[8...])
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The inverse of `days(fromCivil:_:_:)`.
    static func civil(fromDays count: Int) -> (Int, Int, Int) {
        let z = count + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
