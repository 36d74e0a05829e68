import Crypto

/// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104) through swift-crypto: patient pseudonyms,
/// split keys and fingerprints of recipes and input listings. (Tests check both against the
/// FIPS 180 and RFC 4231 known answers.)
public enum SHA256 {
    /// The digest of `message` as 64 lowercase hex digits.
    public static func hex(_ message: [UInt8]) -> String {
        digest(message).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// HMAC-SHA-256 of `message` under `key` (32 bytes).
    public static func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<Crypto.SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// SHA-256 of `message` (32 bytes).
    public static func digest(_ message: [UInt8]) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: message))
    }
}
