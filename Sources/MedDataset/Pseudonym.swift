import Foundation

/// Patient pseudonyms and split keys: keyed hashes, so no identifier is stored in clear and
/// a patient's split does not change when other patients are added.
public struct Pseudonymizer: Sendable {
    let key: [UInt8]
    let seed: String

    /// - Parameters:
    ///   - key: the secret for pseudonyms. When the user gives none, a key derived from the seed
    ///     is used: then anyone who knows the seed can test a guessed id (ids like figshare PIDs
    ///     are short), so pass a secret key file for data that leaves your site.
    ///   - seed: the split seed.
    public init(key: [UInt8]?, seed: String) {
        self.key = key ?? Array("medsr-pseudonym-v1|\(seed)".utf8)
        self.seed = seed
    }

    /// The stored patient id: 16 hex digits of HMAC-SHA-256.
    public func pseudonym(_ patient: String) -> String {
        SHA256.hmac(key: key, Array(Self.normalized(patient).utf8)).prefix(8)
            .map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// A patient's position in [0, 2^64) for splitting: SHA-256 of seed and id.
    public func splitKey(_ patient: String) -> UInt64 {
        SHA256.digest(Array("medsr-split-v1|\(seed)|\(Self.normalized(patient))".utf8)).prefix(8)
            .reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Trims spaces and NULs, and leading zeros of all-digit ids (NIH's "00001" and "1" agree).
    static func normalized(_ id: String) -> String {
        let trimmed = id.trimmingCharacters(in: .whitespacesAndNewlines.union(.init(charactersIn: "\0")))
        if !trimmed.isEmpty, trimmed.allSatisfy(\.isASCII), trimmed.allSatisfy(\.isNumber) {
            let stripped = trimmed.drop { $0 == "0" }
            return stripped.isEmpty ? "0" : String(stripped)
        }
        return trimmed
    }
}
