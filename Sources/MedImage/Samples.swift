/// Typed sample storage: one contiguous array in the element type of the source.
public enum Samples: Sendable, Equatable {
    case uint8([UInt8])
    case uint16([UInt16])
    case int16([Int16])
    case uint32([UInt32])
    case int32([Int32])
    case float32([Float])

    public var type: SampleType {
        switch self {
        case .uint8: .uint8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        }
    }

    public var count: Int {
        switch self {
        case .uint8(let a): a.count
        case .uint16(let a): a.count
        case .int16(let a): a.count
        case .uint32(let a): a.count
        case .int32(let a): a.count
        case .float32(let a): a.count
        }
    }

    /// Zero-filled storage of `count` samples of `type`.
    public init(zeros type: SampleType, count: Int) {
        switch type {
        case .uint8: self = .uint8(Array(repeating: 0, count: count))
        case .uint16: self = .uint16(Array(repeating: 0, count: count))
        case .int16: self = .int16(Array(repeating: 0, count: count))
        case .uint32: self = .uint32(Array(repeating: 0, count: count))
        case .int32: self = .int32(Array(repeating: 0, count: count))
        case .float32: self = .float32(Array(repeating: 0, count: count))
        }
    }

    /// Every sample converted to `Float` (exact up to 24 bits of magnitude).
    public func floats() -> [Float] {
        // Closures, not `map(Float.init)`: for [UInt32] that reference resolves to
        // `Float.init(bitPattern:)` and reinterprets the bits (798000 became 1.1e-39).
        switch self {
        case .uint8(let a): a.map { Float($0) }
        case .uint16(let a): a.map { Float($0) }
        case .int16(let a): a.map { Float($0) }
        case .uint32(let a): a.map { Float($0) }
        case .int32(let a): a.map { Float($0) }
        case .float32(let a): a
        }
    }

    /// The samples as little-endian bytes (the layout of `.npy`, Zarr and raw files).
    public func littleEndianBytes() -> [UInt8] {
        func bytes<T>(_ a: [T]) -> [UInt8] { a.withUnsafeBytes { Array($0) } }
        // Every supported host is little-endian (x86-64, arm64); assert rather than branch.
        precondition(1.littleEndian == 1, "big-endian hosts are not supported")
        switch self {
        case .uint8(let a): return a
        case .uint16(let a): return bytes(a)
        case .int16(let a): return bytes(a)
        case .uint32(let a): return bytes(a)
        case .int32(let a): return bytes(a)
        case .float32(let a): return bytes(a)
        }
    }

    /// Samples `range` as a new storage of the same type.
    public func slice(_ range: Range<Int>) -> Samples {
        switch self {
        case .uint8(let a): .uint8(Array(a[range]))
        case .uint16(let a): .uint16(Array(a[range]))
        case .int16(let a): .int16(Array(a[range]))
        case .uint32(let a): .uint32(Array(a[range]))
        case .int32(let a): .int32(Array(a[range]))
        case .float32(let a): .float32(Array(a[range]))
        }
    }

    /// Reorders samples: element `i` of the result is element `order[i]` of `self`.
    public func gathered(_ order: [Int]) -> Samples {
        switch self {
        case .uint8(let a): .uint8(order.map { a[$0] })
        case .uint16(let a): .uint16(order.map { a[$0] })
        case .int16(let a): .int16(order.map { a[$0] })
        case .uint32(let a): .uint32(order.map { a[$0] })
        case .int32(let a): .int32(order.map { a[$0] })
        case .float32(let a): .float32(order.map { a[$0] })
        }
    }

    /// The samples of `parts` one after another; nil when the types differ.
    public static func concatenating(_ parts: [Samples]) -> Samples? {
        guard let first = parts.first, parts.allSatisfy({ $0.type == first.type }) else { return nil }
        if parts.count == 1 { return first }
        func joined<T>(_ pick: (Samples) -> [T]) -> [T] { parts.flatMap(pick) }
        switch first {
        case .uint8: return .uint8(joined { if case .uint8(let a) = $0 { a } else { [] } })
        case .uint16: return .uint16(joined { if case .uint16(let a) = $0 { a } else { [] } })
        case .int16: return .int16(joined { if case .int16(let a) = $0 { a } else { [] } })
        case .uint32: return .uint32(joined { if case .uint32(let a) = $0 { a } else { [] } })
        case .int32: return .int32(joined { if case .int32(let a) = $0 { a } else { [] } })
        case .float32: return .float32(joined { if case .float32(let a) = $0 { a } else { [] } })
        }
    }
}
