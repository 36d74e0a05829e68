import Crypto

/// How a DICOM object is de-identified: PS3.15 Annex E's Basic Application Level
/// Confidentiality Profile (`ConfidentialityProfile`) plus the options chosen, and the secret
/// key that makes replacement UIDs and date shifts consistent.
///
/// Replacement UIDs are `2.25.` and the first 128 bits of HMAC-SHA-256(key, UID) in decimal
/// (PS3.5 B.2), so the same source UID gets the same replacement wherever it appears and in every
/// run with the same key; without the key the source UID cannot be recovered or tested. Dates
/// under the Modified Dates option move back by one whole number of days per patient (from the
/// key and the Patient ID), so intervals between a patient's dates stay exact.
public struct Deidentification: Sendable {
    public var options: Set<ConfidentialityProfile.Option>
    public var key: [UInt8]

    /// - Parameters:
    ///   - options: options of Table E.1-1 (only `ConfidentialityProfile.Option.implemented`).
    ///   - key: the secret; nil draws 32 random bytes (consistent within this value only).
    public init(options: Set<ConfidentialityProfile.Option> = [], key: [UInt8]? = nil) {
        precondition(options.isSubset(of: ConfidentialityProfile.Option.implemented), "option not implemented")
        precondition(!(options.contains(.retainLongitudinalFullDates) && options.contains(.retainLongitudinalModifiedDates)),
                     "full and modified dates exclude each other")
        self.options = options
        if let key {
            self.key = key
        } else {
            var generator = SystemRandomNumberGenerator()
            self.key = (0 ..< 32).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        }
    }

    /// The replacement for `uid`: `2.25.<decimal of 128 bits of HMAC-SHA-256(key, uid)>`.
    public func uid(for uid: String) -> String {
        let mac = Array(HMAC<SHA256>.authenticationCode(for: Array("medsr-uid-v1|\(uid)".utf8), using: SymmetricKey(data: key)))
        return "2.25." + Self.decimal(Array(mac.prefix(16)))
    }

    /// Days every date of the patient `patientID` moves by under the Modified Dates option:
    /// between −3650 and −365 (one to ten years earlier).
    public func dayShift(patientID: String) -> Int {
        let mac = Array(HMAC<SHA256>.authenticationCode(for: Array("medsr-date-shift-v1|\(patientID)".utf8),
                                                         using: SymmetricKey(data: key)))
        let value = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return -(365 + Int(value % 3286))
    }

    /// The codes for De-identification Method Code Sequence: the profile, then the options.
    public var methodCodes: [(code: String, meaning: String)] {
        [(ConfidentialityProfile.basicProfileCode, ConfidentialityProfile.basicProfileMeaning)]
            + options.sorted().map { ($0.code, $0.meaning) }
    }

    /// A big-endian unsigned integer in decimal, no leading zeros.
    static func decimal(_ bytes: [UInt8]) -> String {
        var number = bytes.drop { $0 == 0 }.map { UInt32($0) }
        guard !number.isEmpty else { return "0" }
        var digits: [Character] = []
        while !number.isEmpty {
            var remainder: UInt32 = 0
            var quotient: [UInt32] = []
            for byte in number {
                let value = remainder << 8 | byte
                let q = value / 10
                remainder = value % 10
                if !(quotient.isEmpty && q == 0) { quotient.append(q) }
            }
            digits.append(Character(String(remainder)))
            number = quotient
        }
        return String(digits.reversed())
    }
}
