/// DICOM PS3.15 Annex E, Table E.1-1 "Application Level Confidentiality Profile Attributes":
/// the Basic Application Level Confidentiality Profile and its options, as data.
///
/// The rows below are the table's attributes with the standard's action codes, transcribed from
/// the machine-readable extraction of PS3.15 in innolitics/dicom-standard
/// (`standard/confidentiality_profile_attributes.json`, commit 0d01bf1). Nothing is added: the
/// handling of attributes the table does not list (by VR, as note 4 of E.1.1 suggests) is in
/// `Deidentifier`, not here.
public enum ConfidentialityProfile {
    /// An action code of Table E.1-1 (PS3.15 E.1.1).
    public enum Action: String, Sendable, CaseIterable {
        /// D: replace with a non-zero length value that may be a dummy value consistent with the VR.
        case d = "D"
        /// Z: replace with a zero length value (or a dummy value consistent with the VR).
        case z = "Z"
        /// X: remove.
        case x = "X"
        /// K: keep (unchanged for non-sequence attributes, cleaned for sequences).
        case k = "K"
        /// C: clean, i.e. replace with values of similar meaning known not to identify.
        case c = "C"
        /// U: replace with a non-zero length UID that is internally consistent within a set of instances.
        case u = "U"
        /// Z/D: Z unless D is required to maintain IOD conformance (Type 2 versus Type 1).
        case zd = "Z/D"
        /// X/Z: X unless Z is required to maintain IOD conformance (Type 3 versus Type 2).
        case xz = "X/Z"
        /// X/D: X unless D is required to maintain IOD conformance (Type 3 versus Type 1).
        case xd = "X/D"
        /// X/Z/D: X unless Z or D is required to maintain IOD conformance (Type 3 versus 2 versus 1).
        case xzd = "X/Z/D"
        /// X/Z/U*: X unless Z or replacement of contained instance UIDs (U) is required to
        /// maintain IOD conformance (Type 3 versus Type 2 versus Type 1 sequences holding UID references).
        case xzu = "X/Z/U*"
    }

    /// The options of the profile (columns of Table E.1-1), each with its CID 7050 code.
    public enum Option: String, Sendable, CaseIterable, Comparable {
        case retainSafePrivate = "safe-private"
        case retainUIDs = "uids"
        case retainDeviceIdentity = "device-identity"
        case retainInstitutionIdentity = "institution-identity"
        case retainPatientCharacteristics = "patient-characteristics"
        case retainLongitudinalFullDates = "full-dates"
        case retainLongitudinalModifiedDates = "modified-dates"
        case cleanDescriptors = "clean-descriptors"
        case cleanStructuredContent = "clean-structured-content"
        case cleanGraphics = "clean-graphics"

        /// The option's code in CID 7050 "De-identification Method" (coding scheme DCM).
        public var code: String {
            switch self {
            case .retainSafePrivate: "113111"
            case .retainUIDs: "113110"
            case .retainDeviceIdentity: "113109"
            case .retainInstitutionIdentity: "113112"
            case .retainPatientCharacteristics: "113108"
            case .retainLongitudinalFullDates: "113106"
            case .retainLongitudinalModifiedDates: "113107"
            case .cleanDescriptors: "113105"
            case .cleanStructuredContent: "113104"
            case .cleanGraphics: "113103"
            }
        }

        /// The code meaning in CID 7050.
        public var meaning: String {
            switch self {
            case .retainSafePrivate: "Retain Safe Private Option"
            case .retainUIDs: "Retain UIDs Option"
            case .retainDeviceIdentity: "Retain Device Identity Option"
            case .retainInstitutionIdentity: "Retain Institution Identity Option"
            case .retainPatientCharacteristics: "Retain Patient Characteristics Option"
            case .retainLongitudinalFullDates: "Retain Longitudinal Temporal Information Full Dates Option"
            case .retainLongitudinalModifiedDates: "Retain Longitudinal Temporal Information Modified Dates Option"
            case .cleanDescriptors: "Clean Descriptors Option"
            case .cleanStructuredContent: "Clean Structured Content Option"
            case .cleanGraphics: "Clean Graphics Option"
            }
        }

        /// Options MedSR implements. The others need data MedSR does not have (the safe private
        /// attribute list of E.3.10) or an understanding of structured content and graphics.
        public static let implemented: [Option] = [
            .retainUIDs, .retainDeviceIdentity, .retainInstitutionIdentity, .retainPatientCharacteristics,
            .retainLongitudinalFullDates, .retainLongitudinalModifiedDates, .cleanDescriptors,
        ]

        public static func < (a: Option, b: Option) -> Bool { a.code < b.code }
    }

    /// The code of the Basic Application Confidentiality Profile in CID 7050.
    public static let basicProfileCode = "113100"
    public static let basicProfileMeaning = "Basic Application Confidentiality Profile"

    /// Which data elements a row covers.
    public enum Attribute: Sendable, Hashable {
        /// One tag, `0xGGGGEEEE`.
        case tag(UInt32)
        /// Every element of the repeating groups `gg00`–`ggFE` (even), e.g. Curve Data (50xx,xxxx).
        case repeatingGroup(UInt16)
        /// Element `element` of the repeating groups `gg00`–`ggFE`, e.g. Overlay Data (60xx,3000).
        case repeatingGroupElement(UInt16, UInt16)
        /// Every private element (odd group).
        case privateElements
    }

    /// One row of Table E.1-1.
    public struct Row: Sendable {
        public let attribute: Attribute
        public let name: String
        public let basic: Action
        public let options: [Option: Action]

        init(_ attribute: Attribute, _ name: String, _ basic: Action, safePrivate: Action? = nil, uids: Action? = nil,
             device: Action? = nil, institution: Action? = nil, patient: Action? = nil, fullDates: Action? = nil,
             modifiedDates: Action? = nil, descriptors: Action? = nil, structured: Action? = nil, graphics: Action? = nil) {
            self.attribute = attribute
            self.name = name
            self.basic = basic
            let pairs: [(Option, Action?)] = [
                (.retainSafePrivate, safePrivate), (.retainUIDs, uids), (.retainDeviceIdentity, device),
                (.retainInstitutionIdentity, institution), (.retainPatientCharacteristics, patient),
                (.retainLongitudinalFullDates, fullDates), (.retainLongitudinalModifiedDates, modifiedDates),
                (.cleanDescriptors, descriptors), (.cleanStructuredContent, structured), (.cleanGraphics, graphics),
            ]
            options = Dictionary(uniqueKeysWithValues: pairs.compactMap { option, action in action.map { (option, $0) } })
        }

        /// The action under the chosen options: an option's requirement overrides the basic
        /// profile's (E.1.1); when several chosen options name the attribute, the one that keeps
        /// most wins (K, then C).
        public func action(with chosen: Set<Option>) -> Action {
            let named = options.filter { chosen.contains($0.key) }.map(\.value)
            if named.contains(.k) { return .k }
            if named.contains(.c) { return .c }
            return named.first ?? basic
        }
    }

    /// The row for the element `tag` (`0xGGGGEEEE`), if the table lists it.
    public static func row(for tag: UInt32) -> Row? {
        let group = UInt16(tag >> 16), element = UInt16(tag & 0xFFFF)
        if group & 1 == 1 { return privateRow }
        if let row = byTag[tag] { return row }
        if group & 0xFF01 == 0x5000 || group & 0xFF01 == 0x6000 {
            return rows.first {
                switch $0.attribute {
                case .repeatingGroup(let g): g == group & 0xFF00
                case .repeatingGroupElement(let g, let e): g == group & 0xFF00 && e == element
                default: false
                }
            }
        }
        return nil
    }

    private static let byTag: [UInt32: Row] = Dictionary(uniqueKeysWithValues: rows.compactMap { row in
        if case .tag(let t) = row.attribute { (t, row) } else { nil }
    })

    private static let privateRow = rows.first { $0.attribute == .privateElements }!

    /// Table E.1-1, ordered by tag.
    public static let rows: [Row] = [
        Row(.tag(0x0000_1000), "Affected SOP Instance UID", .x, uids: .k),
        Row(.tag(0x0000_1001), "Requested SOP Instance UID", .u, uids: .k),
        Row(.tag(0x0002_0003), "Media Storage SOP Instance UID", .u, uids: .k),
        Row(.tag(0x0004_1511), "Referenced SOP Instance UID in File", .u, uids: .k),
        Row(.tag(0x0008_0014), "Instance Creator UID", .u, uids: .k),
        Row(.tag(0x0008_0015), "Instance Coercion DateTime", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0018), "SOP Instance UID", .u, uids: .k),
        Row(.tag(0x0008_0020), "Study Date", .z, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0021), "Series Date", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0022), "Acquisition Date", .xz, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0023), "Content Date", .zd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0024), "Overlay Date", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0025), "Curve Date", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_002A), "Acquisition DateTime", .xzd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0030), "Study Time", .z, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0031), "Series Time", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0032), "Acquisition Time", .xz, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0033), "Content Time", .zd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0034), "Overlay Time", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0035), "Curve Time", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_0050), "Accession Number", .z),
        Row(.tag(0x0008_0058), "Failed SOP Instance UID List", .u, uids: .k),
        Row(.tag(0x0008_0080), "Institution Name", .xzd, institution: .k),
        Row(.tag(0x0008_0081), "Institution Address", .x, institution: .k),
        Row(.tag(0x0008_0082), "Institution Code Sequence", .xzd, institution: .k),
        Row(.tag(0x0008_0090), "Referring Physician's Name", .z),
        Row(.tag(0x0008_0092), "Referring Physician's Address", .x),
        Row(.tag(0x0008_0094), "Referring Physician's Telephone Numbers", .x),
        Row(.tag(0x0008_0096), "Referring Physician Identification Sequence", .x),
        Row(.tag(0x0008_009C), "Consulting Physician's Name", .z),
        Row(.tag(0x0008_009D), "Consulting Physician Identification Sequence", .x),
        Row(.tag(0x0008_0201), "Timezone Offset From UTC", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0008_1010), "Station Name", .xzd, device: .k),
        Row(.tag(0x0008_1030), "Study Description", .x, descriptors: .c),
        Row(.tag(0x0008_103E), "Series Description", .x, descriptors: .c),
        Row(.tag(0x0008_1040), "Institutional Department Name", .x, institution: .k),
        Row(.tag(0x0008_1041), "Institutional Department Type Code Sequence", .x, institution: .k),
        Row(.tag(0x0008_1048), "Physician(s) of Record", .x),
        Row(.tag(0x0008_1049), "Physician(s) of Record Identification Sequence", .x),
        Row(.tag(0x0008_1050), "Performing Physician's Name", .x),
        Row(.tag(0x0008_1052), "Performing Physician Identification Sequence", .x),
        Row(.tag(0x0008_1060), "Name of Physician(s) Reading Study", .x),
        Row(.tag(0x0008_1062), "Physician(s) Reading Study Identification Sequence", .x),
        Row(.tag(0x0008_1070), "Operators' Name", .xzd),
        Row(.tag(0x0008_1072), "Operator Identification Sequence", .xd),
        Row(.tag(0x0008_1080), "Admitting Diagnoses Description", .x, descriptors: .c),
        Row(.tag(0x0008_1084), "Admitting Diagnoses Code Sequence", .x, descriptors: .c),
        Row(.tag(0x0008_1110), "Referenced Study Sequence", .xz, uids: .k),
        Row(.tag(0x0008_1111), "Referenced Performed Procedure Step Sequence", .xzd, uids: .k),
        Row(.tag(0x0008_1120), "Referenced Patient Sequence", .x, uids: .x),
        Row(.tag(0x0008_1140), "Referenced Image Sequence", .xzu, uids: .k),
        Row(.tag(0x0008_1155), "Referenced SOP Instance UID", .u, uids: .k),
        Row(.tag(0x0008_1195), "Transaction UID", .u, uids: .k),
        Row(.tag(0x0008_2111), "Derivation Description", .x, descriptors: .c),
        Row(.tag(0x0008_2112), "Source Image Sequence", .xzu, uids: .k),
        Row(.tag(0x0008_3010), "Irradiation Event UID", .u, uids: .k),
        Row(.tag(0x0008_4000), "Identifying Comments", .x, descriptors: .c),
        Row(.tag(0x0010_0010), "Patient's Name", .z),
        Row(.tag(0x0010_0020), "Patient ID", .z),
        Row(.tag(0x0010_0021), "Issuer of Patient ID", .x),
        Row(.tag(0x0010_0030), "Patient's Birth Date", .z),
        Row(.tag(0x0010_0032), "Patient's Birth Time", .x),
        Row(.tag(0x0010_0040), "Patient's Sex", .z, patient: .k),
        Row(.tag(0x0010_0050), "Patient's Insurance Plan Code Sequence", .x),
        Row(.tag(0x0010_0101), "Patient's Primary Language Code Sequence", .x),
        Row(.tag(0x0010_0102), "Patient's Primary Language Modifier Code Sequence", .x),
        Row(.tag(0x0010_1000), "Other Patient IDs", .x),
        Row(.tag(0x0010_1001), "Other Patient Names", .x),
        Row(.tag(0x0010_1002), "Other Patient IDs Sequence", .x),
        Row(.tag(0x0010_1005), "Patient's Birth Name", .x),
        Row(.tag(0x0010_1010), "Patient's Age", .x, patient: .k),
        Row(.tag(0x0010_1020), "Patient's Size", .x, patient: .k),
        Row(.tag(0x0010_1030), "Patient's Weight", .x, patient: .k),
        Row(.tag(0x0010_1040), "Patient's Address", .x),
        Row(.tag(0x0010_1050), "Insurance Plan Identification", .x),
        Row(.tag(0x0010_1060), "Patient's Mother's Birth Name", .x),
        Row(.tag(0x0010_1080), "Military Rank", .x),
        Row(.tag(0x0010_1081), "Branch of Service", .x),
        Row(.tag(0x0010_1090), "Medical Record Locator", .x),
        Row(.tag(0x0010_1100), "Referenced Patient Photo Sequence", .x),
        Row(.tag(0x0010_2000), "Medical Alerts", .x, descriptors: .c),
        Row(.tag(0x0010_2110), "Allergies", .x, patient: .c, descriptors: .c),
        Row(.tag(0x0010_2150), "Country of Residence", .x),
        Row(.tag(0x0010_2152), "Region of Residence", .x),
        Row(.tag(0x0010_2154), "Patient's Telephone Numbers", .x),
        Row(.tag(0x0010_2155), "Patient's Telecom Information", .x),
        Row(.tag(0x0010_2160), "Ethnic Group", .x, patient: .k),
        Row(.tag(0x0010_2180), "Occupation", .x, descriptors: .c),
        Row(.tag(0x0010_21A0), "Smoking Status", .x, patient: .k),
        Row(.tag(0x0010_21B0), "Additional Patient History", .x, descriptors: .c),
        Row(.tag(0x0010_21C0), "Pregnancy Status", .x, patient: .k),
        Row(.tag(0x0010_21D0), "Last Menstrual Date", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0010_21F0), "Patient's Religious Preference", .x),
        Row(.tag(0x0010_2203), "Patient's Sex Neutered", .xz, patient: .k),
        Row(.tag(0x0010_2297), "Responsible Person", .x),
        Row(.tag(0x0010_2299), "Responsible Organization", .x),
        Row(.tag(0x0010_4000), "Patient Comments", .x, descriptors: .c),
        Row(.tag(0x0012_0010), "Clinical Trial Sponsor Name", .d),
        Row(.tag(0x0012_0020), "Clinical Trial Protocol ID", .d),
        Row(.tag(0x0012_0021), "Clinical Trial Protocol Name", .z),
        Row(.tag(0x0012_0030), "Clinical Trial Site ID", .z, institution: .k),
        Row(.tag(0x0012_0031), "Clinical Trial Site Name", .z, institution: .k),
        Row(.tag(0x0012_0040), "Clinical Trial Subject ID", .d),
        Row(.tag(0x0012_0042), "Clinical Trial Subject Reading ID", .d),
        Row(.tag(0x0012_0050), "Clinical Trial Time Point ID", .z),
        Row(.tag(0x0012_0051), "Clinical Trial Time Point Description", .x, descriptors: .c),
        Row(.tag(0x0012_0060), "Clinical Trial Coordinating Center Name", .z, institution: .k),
        Row(.tag(0x0012_0071), "Clinical Trial Series ID", .x),
        Row(.tag(0x0012_0072), "Clinical Trial Series Description", .x, descriptors: .c),
        Row(.tag(0x0012_0081), "Clinical Trial Protocol Ethics Committee Name", .d, institution: .k),
        Row(.tag(0x0012_0082), "Clinical Trial Protocol Ethics Committee Approval Number", .x),
        Row(.tag(0x0016_002B), "Maker Note", .x, descriptors: .c),
        Row(.tag(0x0016_004B), "Device Setting Description", .x, descriptors: .c),
        Row(.tag(0x0016_004D), "Camera Owner Name", .x),
        Row(.tag(0x0016_004E), "Lens Specification", .x, device: .k),
        Row(.tag(0x0016_004F), "Lens Make", .x, device: .k),
        Row(.tag(0x0016_0050), "Lens Model", .x, device: .k),
        Row(.tag(0x0016_0051), "Lens Serial Number", .x, device: .k),
        Row(.tag(0x0016_0070), "GPS Version ID", .x),
        Row(.tag(0x0016_0071), "GPS Latitude Ref", .x),
        Row(.tag(0x0016_0072), "GPS Latitude", .x),
        Row(.tag(0x0016_0073), "GPS Longitude Ref", .x),
        Row(.tag(0x0016_0074), "GPS Longitude", .x),
        Row(.tag(0x0016_0075), "GPS Altitude Ref", .x),
        Row(.tag(0x0016_0076), "GPS Altitude", .x),
        Row(.tag(0x0016_0077), "GPS Time Stamp", .x),
        Row(.tag(0x0016_0078), "GPS Satellites", .x),
        Row(.tag(0x0016_0079), "GPS Status", .x),
        Row(.tag(0x0016_007A), "GPS Measure Mode", .x),
        Row(.tag(0x0016_007B), "GPS DOP", .x),
        Row(.tag(0x0016_007C), "GPS Speed Ref", .x),
        Row(.tag(0x0016_007D), "GPS Speed", .x),
        Row(.tag(0x0016_007E), "GPS Track Ref", .x),
        Row(.tag(0x0016_007F), "GPS Track", .x),
        Row(.tag(0x0016_0080), "GPS Img Direction Ref", .x),
        Row(.tag(0x0016_0081), "GPS Img Direction", .x),
        Row(.tag(0x0016_0082), "GPS Map Datum", .x),
        Row(.tag(0x0016_0083), "GPS Dest Latitude Ref", .x),
        Row(.tag(0x0016_0084), "GPS Dest Latitude", .x),
        Row(.tag(0x0016_0085), "GPS Dest Longitude Ref", .x),
        Row(.tag(0x0016_0086), "GPS Dest Longitude", .x),
        Row(.tag(0x0016_0087), "GPS Dest Bearing Ref", .x),
        Row(.tag(0x0016_0088), "GPS Dest Bearing", .x),
        Row(.tag(0x0016_0089), "GPS Dest Distance Ref", .x),
        Row(.tag(0x0016_008A), "GPS Dest Distance", .x),
        Row(.tag(0x0016_008B), "GPS Processing Method", .x),
        Row(.tag(0x0016_008C), "GPS Area Information", .x),
        Row(.tag(0x0016_008D), "GPS Date Stamp", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0016_008E), "GPS Differential", .x),
        Row(.tag(0x0018_0010), "Contrast/Bolus Agent", .zd, descriptors: .c),
        Row(.tag(0x0018_1000), "Device Serial Number", .xzd, device: .k),
        Row(.tag(0x0018_1002), "Device UID", .u, uids: .k, device: .k),
        Row(.tag(0x0018_1004), "Plate ID", .x, device: .k),
        Row(.tag(0x0018_1005), "Generator ID", .x, device: .k),
        Row(.tag(0x0018_1007), "Cassette ID", .x, device: .k),
        Row(.tag(0x0018_1008), "Gantry ID", .x, device: .k),
        Row(.tag(0x0018_1009), "Unique Device Identifier", .x, device: .k),
        Row(.tag(0x0018_100A), "UDI Sequence", .x, device: .k),
        Row(.tag(0x0018_100B), "Manufacturer's Device Class UID", .u, uids: .k, device: .k),
        Row(.tag(0x0018_1030), "Protocol Name", .xd, descriptors: .c),
        Row(.tag(0x0018_11BB), "Acquisition Field Of View Label", .d, descriptors: .c),
        Row(.tag(0x0018_1400), "Acquisition Device Processing Description", .xd, descriptors: .c),
        Row(.tag(0x0018_2042), "Target UID", .u, uids: .k),
        Row(.tag(0x0018_4000), "Acquisition Comments", .x, descriptors: .c),
        Row(.tag(0x0018_5011), "Transducer Identification Sequence", .x, device: .k),
        Row(.tag(0x0018_700A), "Detector ID", .xd, device: .k),
        Row(.tag(0x0018_9185), "Respiratory Motion Compensation Technique Description", .x, descriptors: .c),
        Row(.tag(0x0018_9367), "X-Ray Source ID", .d, device: .k),
        Row(.tag(0x0018_9369), "Source Start DateTime", .d, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0018_936A), "Source End DateTime", .d, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0018_9371), "X-Ray Detector ID", .d, device: .k),
        Row(.tag(0x0018_9373), "X-Ray Detector Label", .x, device: .k),
        Row(.tag(0x0018_937B), "Multi-energy Acquisition Description", .x, descriptors: .c),
        Row(.tag(0x0018_937F), "Decomposition Description", .x, descriptors: .c),
        Row(.tag(0x0018_9424), "Acquisition Protocol Description", .x, descriptors: .c),
        Row(.tag(0x0018_9516), "Start Acquisition DateTime", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0018_9517), "End Acquisition DateTime", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0018_9937), "Requested Series Description", .x, descriptors: .c),
        Row(.tag(0x0018_A003), "Contribution Description", .x, descriptors: .c),
        Row(.tag(0x0020_000D), "Study Instance UID", .u, uids: .k),
        Row(.tag(0x0020_000E), "Series Instance UID", .u, uids: .k),
        Row(.tag(0x0020_0010), "Study ID", .z),
        Row(.tag(0x0020_0052), "Frame of Reference UID", .u, uids: .k),
        Row(.tag(0x0020_0200), "Synchronization Frame of Reference UID", .u, uids: .k),
        Row(.tag(0x0020_3401), "Modifying Device ID", .x),
        Row(.tag(0x0020_3406), "Modified Image Description", .x),
        Row(.tag(0x0020_4000), "Image Comments", .x, descriptors: .c),
        Row(.tag(0x0020_9158), "Frame Comments", .x, descriptors: .c),
        Row(.tag(0x0020_9161), "Concatenation UID", .u, uids: .k),
        Row(.tag(0x0020_9164), "Dimension Organization UID", .u, uids: .k),
        Row(.tag(0x0028_1199), "Palette Color Lookup Table UID", .u, uids: .k),
        Row(.tag(0x0028_1214), "Large Palette Color Lookup Table UID", .u, uids: .k),
        Row(.tag(0x0028_4000), "Image Presentation Comments", .x),
        Row(.tag(0x0032_0012), "Study ID Issuer", .x),
        Row(.tag(0x0032_1020), "Scheduled Study Location", .x, device: .k),
        Row(.tag(0x0032_1021), "Scheduled Study Location AE Title", .x, device: .k),
        Row(.tag(0x0032_1030), "Reason for Study", .x, descriptors: .c),
        Row(.tag(0x0032_1032), "Requesting Physician", .x),
        Row(.tag(0x0032_1033), "Requesting Service", .x),
        Row(.tag(0x0032_1060), "Requested Procedure Description", .xz, descriptors: .c),
        Row(.tag(0x0032_1066), "Reason for Visit", .x, descriptors: .c),
        Row(.tag(0x0032_1067), "Reason for Visit Code Sequence", .x, descriptors: .c),
        Row(.tag(0x0032_1070), "Requested Contrast Agent", .x, descriptors: .c),
        Row(.tag(0x0032_4000), "Study Comments", .x, descriptors: .c),
        Row(.tag(0x0034_0001), "Flow Identifier Sequence", .d),
        Row(.tag(0x0034_0002), "Flow Identifier", .d),
        Row(.tag(0x0034_0005), "Source Identifier", .d),
        Row(.tag(0x0034_0007), "Frame Origin Timestamp", .d, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0038_0004), "Referenced Patient Alias Sequence", .x),
        Row(.tag(0x0038_0010), "Admission ID", .x),
        Row(.tag(0x0038_0011), "Issuer of Admission ID", .x),
        Row(.tag(0x0038_0014), "Issuer of Admission ID Sequence", .x),
        Row(.tag(0x0038_001E), "Scheduled Patient Institution Residence", .x),
        Row(.tag(0x0038_0020), "Admitting Date", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0038_0021), "Admitting Time", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0038_0040), "Discharge Diagnosis Description", .x, descriptors: .c),
        Row(.tag(0x0038_0050), "Special Needs", .x, patient: .c),
        Row(.tag(0x0038_0060), "Service Episode ID", .x),
        Row(.tag(0x0038_0061), "Issuer of Service Episode ID", .x),
        Row(.tag(0x0038_0062), "Service Episode Description", .x, descriptors: .c),
        Row(.tag(0x0038_0064), "Issuer of Service Episode ID Sequence", .x),
        Row(.tag(0x0038_0300), "Current Patient Location", .x),
        Row(.tag(0x0038_0400), "Patient's Institution Residence", .x),
        Row(.tag(0x0038_0500), "Patient State", .x, patient: .c, descriptors: .c),
        Row(.tag(0x0038_4000), "Visit Comments", .x, descriptors: .c),
        Row(.tag(0x003A_0310), "Multiplex Group UID", .u, uids: .k),
        Row(.tag(0x003A_0314), "Impedance Measurement DateTime", .d, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_0001), "Scheduled Station AE Title", .x, device: .k),
        Row(.tag(0x0040_0002), "Scheduled Procedure Step Start Date", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_0003), "Scheduled Procedure Step Start Time", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_0004), "Scheduled Procedure Step End Date", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_0005), "Scheduled Procedure Step End Time", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_0006), "Scheduled Performing Physician's Name", .x),
        Row(.tag(0x0040_0007), "Scheduled Procedure Step Description", .x, descriptors: .c),
        Row(.tag(0x0040_0009), "Scheduled Procedure Step ID", .x),
        Row(.tag(0x0040_000B), "Scheduled Performing Physician Identification Sequence", .x),
        Row(.tag(0x0040_0010), "Scheduled Station Name", .x, device: .k),
        Row(.tag(0x0040_0011), "Scheduled Procedure Step Location", .x, device: .k),
        Row(.tag(0x0040_0012), "Pre-Medication", .x, patient: .c),
        Row(.tag(0x0040_0241), "Performed Station AE Title", .x, device: .k),
        Row(.tag(0x0040_0242), "Performed Station Name", .x, device: .k),
        Row(.tag(0x0040_0243), "Performed Location", .x),
        Row(.tag(0x0040_0244), "Performed Procedure Step Start Date", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_0245), "Performed Procedure Step Start Time", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_0250), "Performed Procedure Step End Date", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_0251), "Performed Procedure Step End Time", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_0253), "Performed Procedure Step ID", .x),
        Row(.tag(0x0040_0254), "Performed Procedure Step Description", .x, descriptors: .c),
        Row(.tag(0x0040_0275), "Request Attributes Sequence", .x, descriptors: .c),
        Row(.tag(0x0040_0280), "Comments on the Performed Procedure Step", .x, descriptors: .c),
        Row(.tag(0x0040_0310), "Comments on Radiation Dose", .x, descriptors: .c),
        Row(.tag(0x0040_050A), "Specimen Accession Number", .x),
        Row(.tag(0x0040_0512), "Container Identifier", .d),
        Row(.tag(0x0040_0513), "Issuer of the Container Identifier Sequence", .z),
        Row(.tag(0x0040_051A), "Container Description", .x, descriptors: .c),
        Row(.tag(0x0040_0551), "Specimen Identifier", .d),
        Row(.tag(0x0040_0554), "Specimen UID", .u, uids: .k),
        Row(.tag(0x0040_0555), "Acquisition Context Sequence", .xz, structured: .c),
        Row(.tag(0x0040_0562), "Issuer of the Specimen Identifier Sequence", .z),
        Row(.tag(0x0040_0600), "Specimen Short Description", .x, descriptors: .c),
        Row(.tag(0x0040_0602), "Specimen Detailed Description", .x, descriptors: .c),
        Row(.tag(0x0040_0610), "Specimen Preparation Sequence", .z, structured: .c),
        Row(.tag(0x0040_06FA), "Slide Identifier", .x),
        Row(.tag(0x0040_1001), "Requested Procedure ID", .x),
        Row(.tag(0x0040_1002), "Reason for the Requested Procedure", .x, descriptors: .c),
        Row(.tag(0x0040_1004), "Patient Transport Arrangements", .x),
        Row(.tag(0x0040_1005), "Requested Procedure Location", .x),
        Row(.tag(0x0040_100A), "Reason for Requested Procedure Code Sequence", .x, descriptors: .c),
        Row(.tag(0x0040_1010), "Names of Intended Recipients of Results", .x),
        Row(.tag(0x0040_1011), "Intended Recipients of Results Identification Sequence", .x),
        Row(.tag(0x0040_1101), "Person Identification Code Sequence", .d),
        Row(.tag(0x0040_1102), "Person's Address", .x),
        Row(.tag(0x0040_1103), "Person's Telephone Numbers", .x),
        Row(.tag(0x0040_1104), "Person's Telecom Information", .x),
        Row(.tag(0x0040_1400), "Requested Procedure Comments", .x, descriptors: .c),
        Row(.tag(0x0040_2001), "Reason for the Imaging Service Request", .x, descriptors: .c),
        Row(.tag(0x0040_2008), "Order Entered By", .x),
        Row(.tag(0x0040_2009), "Order Enterer's Location", .x),
        Row(.tag(0x0040_2010), "Order Callback Phone Number", .x),
        Row(.tag(0x0040_2011), "Order Callback Telecom Information", .x),
        Row(.tag(0x0040_2016), "Placer Order Number / Imaging Service Request", .z),
        Row(.tag(0x0040_2017), "Filler Order Number / Imaging Service Request", .z),
        Row(.tag(0x0040_2400), "Imaging Service Request Comments", .x, descriptors: .c),
        Row(.tag(0x0040_3001), "Confidentiality Constraint on Patient Data Description", .x),
        Row(.tag(0x0040_4005), "Scheduled Procedure Step Start DateTime", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_4008), "Scheduled Procedure Step Expiration DateTime", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_4010), "Scheduled Procedure Step Modification DateTime", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_4011), "Expected Completion DateTime", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_4023), "Referenced General Purpose Scheduled Procedure Step Transaction UID", .u, uids: .k),
        Row(.tag(0x0040_4025), "Scheduled Station Name Code Sequence", .x, device: .k),
        Row(.tag(0x0040_4027), "Scheduled Station Geographic Location Code Sequence", .x, device: .k),
        Row(.tag(0x0040_4028), "Performed Station Name Code Sequence", .x, device: .k),
        Row(.tag(0x0040_4030), "Performed Station Geographic Location Code Sequence", .x, device: .k),
        Row(.tag(0x0040_4034), "Scheduled Human Performers Sequence", .x),
        Row(.tag(0x0040_4035), "Actual Human Performers Sequence", .x),
        Row(.tag(0x0040_4036), "Human Performer's Organization", .x),
        Row(.tag(0x0040_4037), "Human Performer's Name", .x),
        Row(.tag(0x0040_4050), "Performed Procedure Step Start DateTime", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_4051), "Performed Procedure Step End DateTime", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_4052), "Procedure Step Cancellation DateTime", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_A027), "Verifying Organization", .d),
        Row(.tag(0x0040_A073), "Verifying Observer Sequence", .d),
        Row(.tag(0x0040_A075), "Verifying Observer Name", .d),
        Row(.tag(0x0040_A078), "Author Observer Sequence", .x),
        Row(.tag(0x0040_A07A), "Participant Sequence", .x),
        Row(.tag(0x0040_A07C), "Custodial Organization Sequence", .x),
        Row(.tag(0x0040_A088), "Verifying Observer Identification Code Sequence", .z),
        Row(.tag(0x0040_A123), "Person Name", .d),
        Row(.tag(0x0040_A124), "UID", .u),
        Row(.tag(0x0040_A171), "Observation UID", .u, uids: .k),
        Row(.tag(0x0040_A172), "Referenced Observation UID (Trial)", .u, uids: .k),
        Row(.tag(0x0040_A192), "Observation Date (Trial)", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_A193), "Observation Time (Trial)", .x, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x0040_A307), "Current Observer (Trial)", .x),
        Row(.tag(0x0040_A352), "Verbal Source (Trial)", .x),
        Row(.tag(0x0040_A353), "Address (Trial)", .x),
        Row(.tag(0x0040_A354), "Telephone Number (Trial)", .x),
        Row(.tag(0x0040_A358), "Verbal Source Identifier Code Sequence (Trial)", .x),
        Row(.tag(0x0040_A402), "Observation Subject UID (Trial)", .u, uids: .k),
        Row(.tag(0x0040_A730), "Content Sequence", .d, structured: .c),
        Row(.tag(0x0040_DB0C), "Template Extension Organization UID", .u, uids: .k),
        Row(.tag(0x0040_DB0D), "Template Extension Creator UID", .u, uids: .k),
        Row(.tag(0x0050_001B), "Container Component ID", .x),
        Row(.tag(0x0050_0020), "Device Description", .x, device: .k),
        Row(.tag(0x0050_0021), "Long Device Description", .x, descriptors: .c),
        Row(.tag(0x0062_0021), "Tracking UID", .u, uids: .k),
        Row(.tag(0x0070_0001), "Graphic Annotation Sequence", .d, graphics: .c),
        Row(.tag(0x0070_0084), "Content Creator's Name", .zd),
        Row(.tag(0x0070_0086), "Content Creator's Identification Code Sequence", .x),
        Row(.tag(0x0070_031A), "Fiducial UID", .u, uids: .k),
        Row(.tag(0x0070_1101), "Presentation Display Collection UID", .u, uids: .k),
        Row(.tag(0x0070_1102), "Presentation Sequence Collection UID", .u, uids: .k),
        Row(.tag(0x0088_0140), "Storage Media File-set UID", .u, uids: .k),
        Row(.tag(0x0088_0200), "Icon Image Sequence", .x),
        Row(.tag(0x0088_0904), "Topic Title", .x),
        Row(.tag(0x0088_0906), "Topic Subject", .x),
        Row(.tag(0x0088_0910), "Topic Author", .x),
        Row(.tag(0x0088_0912), "Topic Keywords", .x),
        Row(.tag(0x0400_0100), "Digital Signature UID", .u),
        Row(.tag(0x0400_0402), "Referenced Digital Signature Sequence", .x),
        Row(.tag(0x0400_0403), "Referenced SOP Instance MAC Sequence", .x),
        Row(.tag(0x0400_0404), "MAC", .x),
        Row(.tag(0x0400_0550), "Modified Attributes Sequence", .x),
        Row(.tag(0x0400_0551), "Nonconforming Modified Attributes Sequence", .x),
        Row(.tag(0x0400_0552), "Nonconforming Data Element Value", .x),
        Row(.tag(0x0400_0561), "Original Attributes Sequence", .x),
        Row(.tag(0x0400_0600), "Instance Origin Status", .x),
        Row(.tag(0x2030_0020), "Text String", .x),
        Row(.tag(0x2200_0002), "Label Text", .xz, descriptors: .c),
        Row(.tag(0x2200_0005), "Barcode Value", .xz),
        Row(.tag(0x3006_0002), "Structure Set Label", .d, descriptors: .c),
        Row(.tag(0x3006_0004), "Structure Set Name", .x, descriptors: .c),
        Row(.tag(0x3006_0006), "Structure Set Description", .x, descriptors: .c),
        Row(.tag(0x3006_0008), "Structure Set Date", .z, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x3006_0009), "Structure Set Time", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x3006_0024), "Referenced Frame of Reference UID", .u, uids: .k),
        Row(.tag(0x3006_0026), "ROI Name", .z, descriptors: .c),
        Row(.tag(0x3006_0028), "ROI Description", .x, descriptors: .c),
        Row(.tag(0x3006_0038), "ROI Generation Description", .x, descriptors: .c),
        Row(.tag(0x3006_0085), "ROI Observation Label", .x, descriptors: .c),
        Row(.tag(0x3006_0088), "ROI Observation Description", .x, descriptors: .c),
        Row(.tag(0x3006_00A6), "ROI Interpreter", .z),
        Row(.tag(0x3006_00C2), "Related Frame of Reference UID", .u, uids: .k),
        Row(.tag(0x3008_0054), "First Treatment Date", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x3008_0056), "Most Recent Treatment Date", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x3008_0105), "Source Serial Number", .xz, device: .k),
        Row(.tag(0x3008_0250), "Treatment Date", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x3008_0251), "Treatment Time", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x300A_0002), "RT Plan Label", .d, descriptors: .c),
        Row(.tag(0x300A_0003), "RT Plan Name", .x, descriptors: .c),
        Row(.tag(0x300A_0004), "RT Plan Description", .x, descriptors: .c),
        Row(.tag(0x300A_0006), "RT Plan Date", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x300A_0007), "RT Plan Time", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x300A_000E), "Prescription Description", .x, descriptors: .c),
        Row(.tag(0x300A_0013), "Dose Reference UID", .u, uids: .k),
        Row(.tag(0x300A_0016), "Dose Reference Description", .x, descriptors: .c),
        Row(.tag(0x300A_0072), "Fraction Group Description", .x, descriptors: .c),
        Row(.tag(0x300A_0083), "Referenced Dose Reference UID", .u, uids: .k),
        Row(.tag(0x300A_00B2), "Treatment Machine Name", .x, device: .k),
        Row(.tag(0x300A_00C3), "Beam Description", .x, descriptors: .c),
        Row(.tag(0x300A_00DD), "Bolus Description", .x, descriptors: .c),
        Row(.tag(0x300A_0196), "Fixation Device Description", .x, descriptors: .c),
        Row(.tag(0x300A_01A6), "Shielding Device Description", .x, descriptors: .c),
        Row(.tag(0x300A_01B2), "Setup Technique Description", .x, descriptors: .c),
        Row(.tag(0x300A_0216), "Source Manufacturer", .x, device: .k),
        Row(.tag(0x300A_02EB), "Compensator Description", .x, descriptors: .c),
        Row(.tag(0x300A_0608), "Treatment Position Group Label", .d, descriptors: .c),
        Row(.tag(0x300A_0609), "Treatment Position Group UID", .u, uids: .k),
        Row(.tag(0x300A_0611), "RT Accessory Holder Slot ID", .z),
        Row(.tag(0x300A_0615), "RT Accessory Device Slot ID", .z),
        Row(.tag(0x300A_0619), "Radiation Dose Identification Label", .d, descriptors: .c),
        Row(.tag(0x300A_0623), "Radiation Dose In-Vivo Measurement Label", .d, descriptors: .c),
        Row(.tag(0x300A_062A), "RT Tolerance Set Label", .d, descriptors: .c),
        Row(.tag(0x300A_0650), "Patient Setup UID", .u, uids: .k),
        Row(.tag(0x300A_0676), "Equipment Frame of Reference Description", .x, descriptors: .c),
        Row(.tag(0x300A_067C), "Radiation Generation Mode Label", .d, descriptors: .c),
        Row(.tag(0x300A_067D), "Radiation Generation Mode Description", .z, descriptors: .c),
        Row(.tag(0x300A_0700), "Treatment Session UID", .u, uids: .k),
        Row(.tag(0x300A_0734), "Treatment Tolerance Violation Description", .d, descriptors: .c),
        Row(.tag(0x300A_0736), "Treatment Tolerance Violation DateTime", .d, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x300A_073A), "Recorded RT Control Point DateTime", .d, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x300A_0741), "Interlock DateTime", .d, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x300A_0742), "Interlock Description", .d, descriptors: .c),
        Row(.tag(0x300A_0760), "Override DateTime", .d, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x300A_0783), "Interlock Origin Description", .d, descriptors: .c),
        Row(.tag(0x300C_0113), "Reason for Omission Description", .x, descriptors: .c),
        Row(.tag(0x300E_0008), "Reviewer Name", .xz),
        Row(.tag(0x3010_0006), "Conceptual Volume UID", .u, uids: .k),
        Row(.tag(0x3010_000B), "Referenced Conceptual Volume UID", .u, uids: .k),
        Row(.tag(0x3010_000F), "Conceptual Volume Combination Description", .z, descriptors: .c),
        Row(.tag(0x3010_0013), "Constituent Conceptual Volume UID", .u, uids: .k),
        Row(.tag(0x3010_0015), "Source Conceptual Volume UID", .u, uids: .k),
        Row(.tag(0x3010_0017), "Conceptual Volume Description", .z, descriptors: .c),
        Row(.tag(0x3010_001B), "Device Alternate Identifier", .z),
        Row(.tag(0x3010_002D), "Device Label", .d, device: .k),
        Row(.tag(0x3010_0031), "Referenced Fiducials UID", .u, uids: .k),
        Row(.tag(0x3010_0033), "User Content Label", .d, descriptors: .c),
        Row(.tag(0x3010_0034), "User Content Long Label", .d, descriptors: .c),
        Row(.tag(0x3010_0035), "Entity Label", .d, descriptors: .c),
        Row(.tag(0x3010_0036), "Entity Name", .x, descriptors: .c),
        Row(.tag(0x3010_0037), "Entity Description", .x, descriptors: .c),
        Row(.tag(0x3010_0038), "Entity Long Label", .d, descriptors: .c),
        Row(.tag(0x3010_003B), "RT Treatment Phase UID", .u, uids: .k),
        Row(.tag(0x3010_0043), "Manufacturer's Device Identifier", .z, device: .k),
        Row(.tag(0x3010_004C), "Intended Phase Start Date", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x3010_004D), "Intended Phase End Date", .xd, fullDates: .k, modifiedDates: .c),
        Row(.tag(0x3010_0054), "RT Prescription Label", .d, descriptors: .c),
        Row(.tag(0x3010_0056), "RT Treatment Approach Label", .xd, descriptors: .c),
        Row(.tag(0x3010_005A), "RT Physician Intent Narrative", .z, descriptors: .c),
        Row(.tag(0x3010_005C), "Reason for Superseding", .z, descriptors: .c),
        Row(.tag(0x3010_0061), "Prior Treatment Dose Description", .x, descriptors: .c),
        Row(.tag(0x3010_006E), "Dosimetric Objective UID", .u, uids: .k),
        Row(.tag(0x3010_006F), "Referenced Dosimetric Objective UID", .u, uids: .k),
        Row(.tag(0x3010_0077), "Treatment Site", .d, descriptors: .c),
        Row(.tag(0x3010_007A), "Treatment Technique Notes", .z, descriptors: .c),
        Row(.tag(0x3010_007B), "Prescription Notes", .z, descriptors: .c),
        Row(.tag(0x3010_007F), "Fractionation Notes", .z, descriptors: .c),
        Row(.tag(0x3010_0081), "Prescription Notes Sequence", .z, descriptors: .c),
        Row(.tag(0x4000_0010), "Arbitrary", .x),
        Row(.tag(0x4000_4000), "Text Comments", .x),
        Row(.tag(0x4008_0042), "Results ID Issuer", .x),
        Row(.tag(0x4008_0102), "Interpretation Recorder", .x),
        Row(.tag(0x4008_010A), "Interpretation Transcriber", .x),
        Row(.tag(0x4008_010B), "Interpretation Text", .x, descriptors: .c),
        Row(.tag(0x4008_010C), "Interpretation Author", .x),
        Row(.tag(0x4008_0111), "Interpretation Approver Sequence", .x),
        Row(.tag(0x4008_0114), "Physician Approving Interpretation", .x),
        Row(.tag(0x4008_0115), "Interpretation Diagnosis Description", .x, descriptors: .c),
        Row(.tag(0x4008_0118), "Results Distribution List Sequence", .x),
        Row(.tag(0x4008_0119), "Distribution Name", .x),
        Row(.tag(0x4008_011A), "Distribution Address", .x),
        Row(.tag(0x4008_0202), "Interpretation ID Issuer", .x),
        Row(.tag(0x4008_0300), "Impressions", .x, descriptors: .c),
        Row(.tag(0x4008_4000), "Results Comments", .x, descriptors: .c),
        Row(.repeatingGroup(0x5000), "Curve Data", .x, graphics: .c),
        Row(.repeatingGroupElement(0x6000, 0x3000), "Overlay Data", .x, graphics: .c),
        Row(.repeatingGroupElement(0x6000, 0x4000), "Overlay Comments", .x, graphics: .c),
        Row(.tag(0xFFFA_FFFA), "Digital Signatures Sequence", .x),
        Row(.tag(0xFFFC_FFFC), "Data Set Trailing Padding", .x),
        Row(.privateElements, "Private attributes", .x, safePrivate: .c),
    ]
}
