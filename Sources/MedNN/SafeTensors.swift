import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
/// {string: string}}`, then the raw little-endian tensor bytes. PyTorch loads it with
/// `safetensors.torch.load_file`.
public enum SafeTensors {
    public struct File: Sendable {
        public var tensors: [String: (shape: [Int], values: [Float])]
        public var metadata: [String: String]
        /// Tensors written as I64 (batch norm's `num_batches_tracked`); the rest are F32.
        public var integers: Set<String>

        public init(tensors: [String: (shape: [Int], values: [Float])] = [:], metadata: [String: String] = [:],
                    integers: Set<String> = []) {
            self.tensors = tensors
            self.metadata = metadata
            self.integers = integers
        }
    }

    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public var path: String, message: String
        public var description: String { "\(path): safetensors: \(message)" }
    }

    /// The file's bytes, tensors in name order (so files are byte-stable), F32 (I64 for `integers`).
    public static func encode(_ file: File) -> [UInt8] {
        var entries = [String]()
        var offset = 0
        let names = file.tensors.keys.sorted()
        for name in names {
            let t = file.tensors[name]!
            let integer = file.integers.contains(name)
            let bytes = t.values.count * (integer ? 8 : 4)
            entries.append("\(quote(name)):{\"dtype\":\"\(integer ? "I64" : "F32")\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        if !file.metadata.isEmpty {
            let meta = file.metadata.keys.sorted().map { "\(quote($0)):\(quote(file.metadata[$0]!))" }.joined(separator: ",")
            entries.insert("\"__metadata__\":{\(meta)}", at: 0)
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out += header
        for name in names {
            if file.integers.contains(name) {
                for v in file.tensors[name]!.values { withUnsafeBytes(of: Int64(v).littleEndian) { out.append(contentsOf: $0) } }
            } else {
                file.tensors[name]!.values.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// A JSON string literal (quotes, backslashes and control characters escaped).
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// Reads F32 (and F64/F16/BF16, converted to Float) tensors; refuses headers that point
    /// outside the file or claim more than `maxBytes`.
    public static func decode(_ bytes: [UInt8], path: String, maxBytes: Int = 4 << 30) throws -> File {
        func fail(_ m: String) -> FormatError { FormatError(path: path, message: m) }
        guard bytes.count >= 8 else { throw fail("shorter than its header length") }
        let n = (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard n <= UInt64(bytes.count - 8), n < 100_000_000 else { throw fail("header length \(n) exceeds the file") }
        let headerEnd = 8 + Int(n)
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes[8 ..< headerEnd])) as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        var file = File()
        file.metadata = (json["__metadata__"] as? [String: String]) ?? [:]
        let dataSize = bytes.count - headerEnd
        for (name, value) in json where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offsets.count == 2
            else { throw fail("tensor '\(name)' has a malformed entry") }
            let size: Int
            switch dtype {
            case "F32": size = 4
            case "F64", "I64": size = 8
            case "F16", "BF16": size = 2
            default: throw fail("tensor '\(name)' has dtype \(dtype); MedSR reads F32, F64, F16, BF16 and I64")
            }
            // Sizes from a header are checked with overflow-reporting arithmetic before any use.
            var count = 1, overflow = false
            for d in shape {
                let (p, o) = count.multipliedReportingOverflow(by: max(d, 0))
                count = p
                overflow = overflow || o || d < 0
            }
            let (bytesNeeded, o2) = count.multipliedReportingOverflow(by: size)
            guard !overflow, !o2, count <= maxBytes / 4, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize,
                  offsets[1] - offsets[0] == bytesNeeded
            else { throw fail("tensor '\(name)' has shape \(shape), which does not fit the file or the \(maxBytes >> 20) MiB limit") }
            let start = headerEnd + offsets[0]
            var values = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                for i in 0 ..< count {
                    let at = start + i * size
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
                    case "F64": values[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian))
                    case "F16": values[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian))
                    case "I64": values[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self)))
                    default: values[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian) << 16)
                    }
                }
            }
            file.tensors[name] = (shape, values)
            if dtype == "I64" { file.integers.insert(name) }
        }
        return file
    }
}

extension SafeTensors {
    /// Copies tensors into `parameters` by name, checking every name and shape.
    public static func load(_ parameters: [Parameter<Float>], from file: File, path: String, what: String) throws {
        for p in parameters {
            guard let t = file.tensors[p.name] else {
                throw FormatError(path: path, message: "missing tensor '\(p.name)' (is this a \(what)?)")
            }
            guard t.shape == p.shape else {
                throw FormatError(path: path, message: "tensor '\(p.name)' has shape \(t.shape), a \(what) needs \(p.shape)")
            }
            p.value = t.values
        }
    }
}
