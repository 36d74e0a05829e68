/// The element types MedSR stores.
public enum DataType: String, Sendable, Codable, CaseIterable {
    case uint8, uint16, int16, float32

    public var byteCount: Int {
        switch self {
        case .uint8: 1
        case .uint16, .int16: 2
        case .float32: 4
        }
    }
}

/// How each inner chunk is encoded after the `bytes` codec.
public enum ChunkCompression: Sendable, Equatable {
    case none
    case zstd(level: Int)

    /// Parses `none`, `zstd` (level 3) or `zstd:N`.
    public init?(argument: String) {
        if argument == "none" { self = .none; return }
        if argument == "zstd" { self = .zstd(level: 3); return }
        if argument.hasPrefix("zstd:"), let level = Int(argument.dropFirst(5)), (1 ... 19).contains(level) {
            self = .zstd(level: level)
            return
        }
        return nil
    }
}

/// A sharded Zarr v3 array: shards of `shardShape`, each holding inner chunks of `chunkShape`
/// (the `sharding_indexed` codec, index at the end, protected by CRC-32C).
public struct ArrayMetadata: Sendable, Equatable {
    public var shape: [Int]
    public var dataType: DataType
    public var shardShape: [Int]
    public var chunkShape: [Int]
    public var compression: ChunkCompression
    public var dimensionNames: [String]?
    public var attributes: JSONValue?

    /// - Precondition: every shard dimension is a positive multiple of the chunk dimension.
    public init(shape: [Int], dataType: DataType, shardShape: [Int], chunkShape: [Int],
                compression: ChunkCompression = .none, dimensionNames: [String]? = nil, attributes: JSONValue? = nil) {
        precondition(shape.count == shardShape.count && shape.count == chunkShape.count)
        precondition(zip(shardShape, chunkShape).allSatisfy { $1 > 0 && $0 % $1 == 0 })
        self.shape = shape
        self.dataType = dataType
        self.shardShape = shardShape
        self.chunkShape = chunkShape
        self.compression = compression
        self.dimensionNames = dimensionNames
        self.attributes = attributes
    }

    /// Inner chunks per shard along each axis.
    public var chunksPerShard: [Int] { zip(shardShape, chunkShape).map { $0 / $1 } }
    public var chunksPerShardCount: Int { chunksPerShard.reduce(1, *) }
    public var chunkByteCount: Int { chunkShape.reduce(1, *) * dataType.byteCount }

    var innerCodecs: JSONValue {
        var codecs: [JSONValue] = [.object([("name", .string("bytes")), ("configuration", .object([("endian", .string("little"))]))])]
        if case .zstd(let level) = compression {
            codecs.append(.object([("name", .string("zstd")),
                                   ("configuration", .object([("level", .int(level)), ("checksum", .bool(false))]))]))
        }
        return .array(codecs)
    }

    public func json() -> JSONValue {
        let ints: ([Int]) -> JSONValue = { .array($0.map { .int($0) }) }
        var members: [(String, JSONValue)] = [
            ("zarr_format", .int(3)),
            ("node_type", .string("array")),
            ("shape", ints(shape)),
            ("data_type", .string(dataType.rawValue)),
            ("chunk_grid", .object([("name", .string("regular")), ("configuration", .object([("chunk_shape", ints(shardShape))]))])),
            ("chunk_key_encoding", .object([("name", .string("default")), ("configuration", .object([("separator", .string("/"))]))])),
            ("fill_value", dataType == .float32 ? .double(0) : .int(0)),
            ("codecs", .array([.object([
                ("name", .string("sharding_indexed")),
                ("configuration", .object([
                    ("chunk_shape", ints(chunkShape)),
                    ("codecs", innerCodecs),
                    ("index_codecs", .array([
                        .object([("name", .string("bytes")), ("configuration", .object([("endian", .string("little"))]))]),
                        .object([("name", .string("crc32c"))]),
                    ])),
                    ("index_location", .string("end")),
                ])),
            ])])),
        ]
        if let dimensionNames { members.append(("dimension_names", .array(dimensionNames.map { .string($0) }))) }
        if let attributes { members.append(("attributes", attributes)) }
        return .object(members)
    }

    /// Reads the subset of Zarr v3 this library writes; anything else is refused by name.
    public init(json: JSONValue, path: String) throws {
        func fail(_ why: String) -> StoreError { StoreError(path: path, why) }
        guard json["node_type"]?.stringValue == "array" else { throw fail("not an array node") }
        guard let shape = json["shape"]?.arrayValue?.compactMap(\.intValue),
              let typeName = json["data_type"]?.stringValue else { throw fail("array metadata lacks shape or data_type") }
        guard let dataType = DataType(rawValue: typeName) else { throw fail("data type '\(typeName)' is not supported") }
        guard json["chunk_grid"]?["name"]?.stringValue == "regular",
              let shard = json["chunk_grid"]?["configuration"]?["chunk_shape"]?.arrayValue?.compactMap(\.intValue)
        else { throw fail("only regular chunk grids are supported") }
        guard json["chunk_key_encoding"]?["name"]?.stringValue == "default",
              json["chunk_key_encoding"]?["configuration"]?["separator"]?.stringValue ?? "/" == "/"
        else { throw fail("only the default chunk key encoding with '/' is supported") }
        guard let codecs = json["codecs"]?.arrayValue, codecs.count == 1,
              codecs[0]["name"]?.stringValue == "sharding_indexed", let config = codecs[0]["configuration"],
              let inner = config["chunk_shape"]?.arrayValue?.compactMap(\.intValue),
              config["index_location"]?.stringValue ?? "end" == "end"
        else { throw fail("only sharding_indexed arrays with the index at the end are supported") }
        var compression = ChunkCompression.none
        for codec in config["codecs"]?.arrayValue ?? [] {
            switch codec["name"]?.stringValue {
            case "bytes":
                guard codec["configuration"]?["endian"]?.stringValue ?? "little" == "little" else { throw fail("big-endian chunks") }
            case "zstd": compression = .zstd(level: codec["configuration"]?["level"]?.intValue ?? 3)
            default: throw fail("inner codec '\(codec["name"]?.stringValue ?? "?")' is not supported")
            }
        }
        guard shape.count == shard.count, shard.count == inner.count,
              zip(shard, inner).allSatisfy({ $1 > 0 && $0 % $1 == 0 }), shape.allSatisfy({ $0 >= 0 })
        else { throw fail("shape, shard shape and chunk shape disagree") }
        self.init(shape: shape, dataType: dataType, shardShape: shard, chunkShape: inner, compression: compression,
                  dimensionNames: json["dimension_names"]?.arrayValue?.compactMap(\.stringValue),
                  attributes: json["attributes"])
    }
}
