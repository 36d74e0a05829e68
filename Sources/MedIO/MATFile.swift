import MedKernels
import CMatio
import Foundation
import MedImage

/// One variable of a MATLAB file: MATLAB dimensions (rows first) and column-major raw bytes.
struct MATArray {
    var dims: [Int]
    var matClass: Int32
    var bytes: [UInt8]

    var count: Int { dims.reduce(1, *) }

    var className: String { MATFile.className(matClass) }

    /// Values as doubles, column-major.
    func doubles() -> [Double] {
        bytes.withUnsafeBytes { raw in
            (0 ..< count).map { i -> Double in
                switch matClass {
                case Int32(MSR_MAT_DOUBLE): raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
                case Int32(MSR_MAT_SINGLE): Double(raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self))
                case Int32(MSR_MAT_INT8): Double(Int8(bitPattern: raw[i]))
                case Int32(MSR_MAT_UINT8), Int32(MSR_MAT_LOGICAL): Double(raw[i])
                case Int32(MSR_MAT_INT16): Double(raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
                case Int32(MSR_MAT_UINT16), Int32(MSR_MAT_CHAR): Double(raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                case Int32(MSR_MAT_INT32): Double(raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
                case Int32(MSR_MAT_UINT32): Double(raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                case Int32(MSR_MAT_INT64): Double(raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
                case Int32(MSR_MAT_UINT64): Double(raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                default: .nan
                }
            }
        }
    }

    /// A char array (UTF-16 code units) or a numeric vector of character codes as text.
    func text() -> String {
        let units = doubles().compactMap { UInt16(exactly: $0) }.filter { $0 != 0 }
        return String(decoding: units, as: UTF16.self).trimmingCharacters(in: .whitespaces)
    }

    /// A 2-D array as a row-major pixel array (the orientation MATLAB shows).
    func pixels() -> PixelArray? {
        guard dims.count == 2 || (dims.count == 3 && (dims[2] == 3 || dims[2] == 1)) else { return nil }
        let rows = dims[0], columns = dims[1], spp = dims.count == 3 ? dims[2] : 1
        let count = self.count
        /// Column-major little-endian values of type T, to row-major interleaved ones.
        func transposed<T>(_: T.Type) -> [T] {
            let size = MemoryLayout<T>.size
            guard bytes.count >= count * size else { return [] }
            return [T](unsafeUninitializedCapacity: count) { out, initialized in
                initialized = count
                // One plane of 1- or 2-byte values: the SIMD transposes (columns are the source's
                // rows). Array storage is 16-byte aligned, so the 2-byte view is aligned.
                if spp == 1 && (size == 1 || size == 2) && count > 0 {
                    bytes.withUnsafeBytes { raw in
                        let src = raw.baseAddress!, dst = UnsafeMutableRawPointer(out.baseAddress!)
                        if size == 1 {
                            Kernels.transpose(src.assumingMemoryBound(to: UInt8.self), rows: columns, columns: rows, into: dst.assumingMemoryBound(to: UInt8.self))
                        } else {
                            Kernels.transpose(src.assumingMemoryBound(to: UInt16.self), rows: columns, columns: rows, into: dst.assumingMemoryBound(to: UInt16.self))
                        }
                    }
                    return
                }
                bytes.withUnsafeBytes { raw in
                    // In tiles of 32 × 32: the writes, a row apart, then stay in 32 cache lines
                    // (column by column over the whole image they touched a new line each time).
                    let tile = 32
                    for s in 0 ..< spp {
                        for c0 in stride(from: 0, to: columns, by: tile) {
                            for r0 in stride(from: 0, to: rows, by: tile) {
                                for c in c0 ..< min(columns, c0 + tile) {
                                    let source = (c * rows + s * rows * columns) * size
                                    for r in r0 ..< min(rows, r0 + tile) {
                                        out[(r * columns + c) * spp + s] = raw.loadUnaligned(fromByteOffset: source + r * size, as: T.self)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let samples: Samples
        switch matClass {
        case Int32(MSR_MAT_UINT8), Int32(MSR_MAT_LOGICAL): samples = .uint8(transposed(UInt8.self))
        case Int32(MSR_MAT_INT16): samples = .int16(transposed(Int16.self))
        case Int32(MSR_MAT_UINT16): samples = .uint16(transposed(UInt16.self))
        case Int32(MSR_MAT_INT32): samples = .int32(transposed(Int32.self))
        case Int32(MSR_MAT_UINT32): samples = .uint32(transposed(UInt32.self))
        case Int32(MSR_MAT_SINGLE): samples = .float32(transposed(Float.self))
        case Int32(MSR_MAT_INT8): samples = .int16(transposed(Int8.self).map { Int16($0) })
        default:
            // double, 64-bit and char: through doubles, in MATLAB's order, then transposed.
            let values = doubles().map { Float($0) }
            samples = .float32([Float](unsafeUninitializedCapacity: count) { out, initialized in
                for s in 0 ..< spp {
                    for c in 0 ..< columns {
                        for r in 0 ..< rows { out[(r * columns + c) * spp + s] = values[r + c * rows + s * rows * columns] }
                    }
                }
                initialized = count
            })
        }
        guard samples.count == count else { return nil }
        return PixelArray(rows: rows, columns: columns, samplesPerPixel: spp, samples: samples)
    }
}

/// A MATLAB file: v4/v5 through matio; v7.3 (HDF5) read by a child process, since libhdf5
/// crashes on some damaged files (see `Sources/CMatio/msr_h5_hdf5.c`). Variables are named `var` or `var.field`.
final class MATFile {
    enum Backend {
        case matio(OpaquePointer)
        case hdf5(OpaquePointer)
    }

    /// Datasets up to this size come with the child's snapshot; larger ones are read on demand.
    static let inlineBytes: UInt64 = 16 << 20
    /// A v7.3 reader that sends nothing for this long is taken to hang on the file.
    static let hdf5TimeoutMilliseconds: Int32 = 120_000

    let path: String
    let backend: Backend
    /// The compressed elements of a v5 file passed `msr_mat_verify_compressed` (checked once, at
    /// the first read).
    private var verified = false
    var isHDF5: Bool { if case .hdf5 = backend { true } else { false } }

    /// "MATLAB v4", "MATLAB v5" (v5 to v7) or "MATLAB v7.3 (HDF5)".
    var versionName: String {
        switch backend {
        case .matio(let h): "MATLAB v\(msr_mat_version(h))"
        case .hdf5: "MATLAB v7.3 (HDF5)"
        }
    }

    /// Opens `path`; a v7.3 file is read at once: its structure, and the data of datasets up to
    /// `inlineBytes` each while `maxBytes` in all lasts (the rest is read on demand).
    init(path: String, maxBytes: Int = 4 << 30, inlineBytes: UInt64 = MATFile.inlineBytes) throws(MATError) {
        self.path = path
        var err = [CChar](repeating: 0, count: 256)
        if msr_h5_signature(path) != 0 {
            var snapshot: OpaquePointer?
            let budget = UInt64(max(0, maxBytes))
            guard msr_h5_snapshot_open(path, budget, min(budget, inlineBytes), Self.hdf5TimeoutMilliseconds,
                                       &snapshot, &err, err.count) == 0, let snapshot else {
                throw MATError(.corrupt, path: path, "unreadable v7.3 file", underlying: cString(err))
            }
            backend = .hdf5(snapshot)
            return
        }
        var handle: OpaquePointer?
        guard msr_mat_open(path, &handle, &err, err.count) == 0, let handle else {
            throw MATError(.unreadable, path: path, "not a readable MATLAB file (v4, v5–v7 or v7.3)", underlying: cString(err))
        }
        backend = .matio(handle)
    }

    deinit {
        switch backend {
        case .matio(let h): msr_mat_close(h)
        case .hdf5(let s): msr_h5_snapshot_close(s)
        }
    }

    /// Numeric and logical classes (not char, struct, cell or unknown).
    static func isNumeric(_ c: Int32) -> Bool { (1 ... 10).contains(c) || c == 12 }

    /// The class as a person reads it: "complex double", "char", "struct", and for what matio
    /// does not classify, "sparse, object or function handle".
    static func kindName(_ info: msr_mat_info) -> String {
        if info.mat_class == 0 { return "sparse, an object or a function handle" }
        return (info.is_complex != 0 ? "complex " : "") + className(info.mat_class)
    }

    static func className(_ c: Int32) -> String {
        ["unknown", "double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
         "char", "logical", "struct", "cell"][Int(max(0, min(c, 14)))]
    }

    private static func lines(_ buffer: [CChar]) -> [String] {
        cString(buffer).split(separator: "\n").map(String.init)
    }

    /// Top-level variable names.
    func variables() -> [String] {
        var buf = [CChar](repeating: 0, count: 1 << 16)
        switch backend {
        case .matio(let h): _ = msr_mat_list(h, &buf, buf.count)
        case .hdf5(let s): _ = msr_h5_snapshot_children(s, "/", &buf, buf.count)
        }
        return Self.lines(buf)
    }

    /// Describes a variable; `fields` lists a struct's fields.
    func info(_ name: String) throws(MATError) -> (info: msr_mat_info, fields: [String]) {
        var info = msr_mat_info()
        var err = [CChar](repeating: 0, count: 256)
        var fields = [CChar](repeating: 0, count: 1 << 14)
        let status: Int32
        switch backend {
        case .matio(let h): status = msr_mat_info_of(h, name, &info, &fields, fields.count, &err, err.count)
        case .hdf5(let s):
            let h5path = name.replacingOccurrences(of: ".", with: "/")
            status = msr_h5_snapshot_info(s, h5path, &info, &err, err.count)
            if status == 0 && info.mat_class == MSR_MAT_STRUCT { msr_h5_snapshot_children(s, h5path, &fields, fields.count) }
        }
        guard status == 0 else { throw MATError(.notFound, path: path, "variable '\(name)' is not in the file", underlying: cString(err)) }
        return (info, Self.lines(fields))
    }

    /// Reads a numeric, logical or char variable; refuses more than `maxBytes`.
    func read(_ name: String, maxBytes: Int) throws -> MATArray {
        let (info, _) = try info(name)
        let dims = withUnsafeBytes(of: info.dims) { raw in (0 ..< Int(info.rank)).map { Int(clamping: raw.load(fromByteOffset: $0 * 8, as: UInt64.self)) } }
        guard info.is_complex == 0, info.element_size > 0 else {
            throw MATError(.unsupported, path: path, "variable '\(name)' is \(Self.kindName(info)); only real numeric, logical and char arrays can be read")
        }
        var total = info.element_size
        for d in dims {
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxBytes else {
                throw InputError(.tooLarge, path: path, "variable '\(name)' claims dimensions \(dims), over the \(maxBytes >> 20) MiB limit")
            }
            total = product
        }
        if case .matio = backend, !verified {
            // matio inflates without checking the zlib checksum or where the stream ends: a damaged
            // v5 file would give wrong pixels silently (scipy's loadmat refuses such files).
            var err = [CChar](repeating: 0, count: 256)
            guard msr_mat_verify_compressed(path, &err, err.count) == 0 else {
                throw MATError(.corrupt, path: path, "the file is damaged", underlying: cString(err))
            }
            verified = true
        }
        var bytes = [UInt8](repeating: 0, count: total)
        var err = [CChar](repeating: 0, count: 256)
        let status: Int32
        switch backend {
        case .matio(let h): status = msr_mat_read(h, name, &bytes, bytes.count, &err, err.count)
        case .hdf5(let s): status = msr_h5_snapshot_read(s, name.replacingOccurrences(of: ".", with: "/"), &bytes, bytes.count, &err, err.count)
        }
        guard status == 0 else { throw MATError(.corrupt, path: path, "variable '\(name)' cannot be read", underlying: cString(err)) }
        return MATArray(dims: dims, matClass: info.mat_class, bytes: bytes)
    }
}
