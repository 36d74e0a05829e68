/// The element type of stored pixel samples.
public enum SampleType: String, Sendable, Codable, CaseIterable {
    case uint8, uint16, int16, uint32, int32, float32

    /// Bytes one sample occupies.
    public var byteCount: Int {
        switch self {
        case .uint8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        }
    }

    /// NumPy's dtype string for this type in little-endian order (`<u2`, …).
    public var numpyDescriptor: String {
        switch self {
        case .uint8: "|u1"
        case .uint16: "<u2"
        case .int16: "<i2"
        case .uint32: "<u4"
        case .int32: "<i4"
        case .float32: "<f4"
        }
    }
}
