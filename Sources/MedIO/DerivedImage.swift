import Foundation
import MedImage

/// What makes a data set a derived image of its source (`DICOMWriter.writeDerived`): the facts
/// read from the source, and the elements set or removed.
struct DerivedImage {
    let spacing: [Double]?
    let imagerSpacing: [Double]?
    let enhanced: Bool
    let sourceClass: String?
    let sourceInstance: String?
    /// Values 3 and after of the source's ImageType (e.g. AXIAL: the CT Image IOD requires value 3).
    let imageTypeDetail: [String]
    let scale: Double

    init(file: borrowing DICOMFile, scale: Double) {
        // Spacing: top level, else the enhanced functional groups (shared, then frame 0).
        spacing = file.numbers("0028,0030") ?? file.numbers("5200,9229/0/0028,9110/0/0028,0030")
            ?? file.numbers("5200,9230/0/0028,9110/0/0028,0030")
        imagerSpacing = file.numbers("0018,1164")
        enhanced = file.count("5200,9229") != nil || file.count("5200,9230") != nil || (file.int("0028,0008") ?? 1) > 1
        sourceClass = file.string("0008,0016")
        sourceInstance = file.string("0008,0018")
        imageTypeDetail = Array((file.string("0008,0008") ?? "").split(separator: "\\", omittingEmptySubsequences: false)
            .dropFirst(2).map(String.init))
        self.scale = scale
    }

    /// Elements that describe the source's pixel data (frames, functional groups, palettes,
    /// LUTs, icon, overlays and curves on the source's grid), removed before the new pixels go in.
    static let sourcePixelDescription: Set<UInt32> = [
        0x7FE0_0010, 0x7FE0_0008, 0x7FE0_0009, 0x0028_0008, 0x0028_0009, 0x5200_9229, 0x5200_9230, 0x0028_0106,
        0x0028_0107, 0x0028_0120, 0x0028_0121, 0x0028_3000, 0x0028_3010, 0x0028_1101, 0x0028_1102, 0x0028_1103,
        0x0028_1199, 0x0028_1201, 0x0028_1202, 0x0028_1203, 0x0028_0006, 0x0088_0200, 0x0028_1054, 0x0028_2112,
        0x0028_2114,
    ]

    func removeSourcePixelDescription(from file: inout DICOMFile) {
        for element in file.elements(in: "") {
            let group = UInt16(element.tag >> 16)
            let overlayOrCurve = group & 0xFF01 == 0x6000 || group & 0xFF01 == 0x5000
            if overlayOrCurve || Self.sourcePixelDescription.contains(element.tag) { file.delete(element.key) }
        }
    }

    /// Sets the derived image's identity, description, spacing and rescale.
    /// SOP classes whose IOD allows only 8-bit pixels (US Image, US Multi-frame Image): a
    /// 16-bit derived image of them is Secondary Capture.
    static let eightBitClasses: Set<String> = ["1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.3.1"]

    func describe(in file: inout DICOMFile, description: String, rescale: Rescale, samples: Int, bits: Int,
                  referencedInstance: String?) throws(DICOMError) {
        let secondaryCapture = "1.2.840.10008.5.1.4.1.1.7"
        if enhanced || (bits > 8 && Self.eightBitClasses.contains(sourceClass ?? "")) { try file.put("0008,0016", secondaryCapture) }
        let isSecondaryCapture = file.string("0008,0016") == secondaryCapture
        if isSecondaryCapture && (enhanced || file.string("0008,0064") == nil) {
            try file.put("0008,0064", "WSD")  // Conversion Type: Type 1 in SC Equipment
        }
        try file.put("0008,0018", Self.newUID())
        try file.put("0020,000E", Self.newUID())
        try file.put("0008,0008", (["DERIVED", "SECONDARY"] + (enhanced ? [] : imageTypeDetail)).joined(separator: "\\"))
        try file.put("0008,2111", String(description.prefix(1024)))
        try file.put("0008,103E", String(description.prefix(64)))
        if let spacing { try file.put("0028,0030", Self.decimalStrings(spacing.map { $0 / scale })) }
        if let imagerSpacing { try file.put("0018,1164", Self.decimalStrings(imagerSpacing.map { $0 / scale })) }
        if samples == 1 {
            try file.put("0028,1053", Self.decimalString(rescale.slope))
            try file.put("0028,1052", Self.decimalString(rescale.intercept))
            // Rescale Type: Type 1 or 1C wherever slope and intercept are (SC, DX, …): HU for
            // CT, else US (unspecified).
            if file.string("0028,1054") == nil { try file.put("0028,1054", file.string("0008,0060") == "CT" ? "HU" : "US") }
        } else {
            file.delete("0028,1053")
            file.delete("0028,1052")
        }
        file.delete("0008,2112")
        if let sourceClass, let referencedInstance {
            let index = try file.appendItem("0008,2112")
            try file.put("0008,2112/\(index)/0008,1150", sourceClass)
            try file.put("0008,2112/\(index)/0008,1155", referencedInstance)
        }
    }

    /// A new UID: `2.25.` and 128 random bits in decimal (PS3.5 B.2).
    static func newUID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "2.25." + Deidentification.decimal((0 ..< 16).map { _ in UInt8.random(in: 0 ... 255, using: &generator) })
    }

    /// A DS value of at most 16 characters.
    static func decimalString(_ value: Double) -> String {
        let text = String(format: "%.10g", value)
        return text.count <= 16 ? text : String(format: "%.9g", value)
    }

    static func decimalStrings(_ values: [Double]) -> String { values.map(decimalString).joined(separator: "\\") }
}
