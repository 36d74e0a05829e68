import CTIFF
import MedImage

/// One open TIFF file (libtiff), with per-handle error messages.
struct TIFFFile: ~Copyable {
    private let handle: OpaquePointer
    let path: String

    init(path: String, mode: String = "r") throws(TIFFError) {
        var handle: OpaquePointer?
        var err = [CChar](repeating: 0, count: 256)
        guard msr_tiff_open(path, mode, &handle, &err, err.count) == 0, let handle else {
            throw TIFFError(mode == "r" ? .unreadable : .writeFailed, path: path,
                            mode == "r" ? "not a readable TIFF file" : "cannot create the TIFF file",
                            underlying: cString(err))
        }
        self.handle = handle
        self.path = path
    }

    deinit { msr_tiff_close(handle) }

    func lastError() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        msr_tiff_take_error(handle, &buf, buf.count)
        return cString(buf)
    }

    var directoryCount: Int {
        var n: UInt32 = 0
        _ = msr_tiff_directory_count(handle, &n)
        return Int(n)
    }

    func select(_ place: TIFFLevelPlace) throws(TIFFError) {
        let status: Int32
        switch place {
        case .page(let i): status = msr_tiff_set_directory(handle, UInt32(i))
        case .subIFD(let offset): status = msr_tiff_set_subdirectory(handle, offset)
        }
        guard status == 0 else { throw TIFFError(.corrupt, path: path, "cannot read directory \(place)", underlying: lastError()) }
    }

    func subIFDs() -> [UInt64] {
        var offsets = [UInt64](repeating: 0, count: 64)
        var n: UInt32 = 0
        _ = msr_tiff_subifds(handle, &offsets, UInt32(offsets.count), &n)
        return Array(offsets.prefix(Int(min(n, 64))))
    }

    func describe() throws(TIFFError) -> msr_tiff_dir {
        var d = msr_tiff_dir()
        guard msr_tiff_describe(handle, &d) == 0 else {
            throw TIFFError(.corrupt, path: path, "directory is unreadable", underlying: lastError())
        }
        return d
    }

    func description() -> String? {
        var buf = [CChar](repeating: 0, count: 1024)
        return msr_tiff_description(handle, &buf, buf.count) == 0 ? cString(buf) : nil
    }

    /// Decodes a region of the selected directory into `buffer`.
    func readRegion(_ r: Region, into buffer: inout [UInt8]) throws(TIFFError) {
        let status = buffer.withUnsafeMutableBufferPointer {
            msr_tiff_read_region(handle, UInt32(r.x), UInt32(r.y), UInt32(r.width), UInt32(r.height), $0.baseAddress, $0.count)
        }
        guard status == 0 else {
            throw TIFFError(.corrupt, path: path, "region \(r.x),\(r.y),\(r.width),\(r.height) cannot be decoded", underlying: lastError())
        }
    }

    func writeLevel(_ level: msr_tiff_level, pixels: [UInt8]) throws(TIFFError) {
        var level = level
        let status = pixels.withUnsafeBufferPointer { msr_tiff_write_level(handle, &level, $0.baseAddress) }
        guard status == 0 else { throw TIFFError(.writeFailed, path: path, "cannot write a pyramid level", underlying: lastError()) }
    }
}

/// Where a pyramid level lives: a page of the main chain or a SubIFD.
enum TIFFLevelPlace: Sendable, CustomStringConvertible {
    case page(Int)
    case subIFD(UInt64)

    var description: String {
        switch self {
        case .page(let i): "page \(i)"
        case .subIFD(let o): "SubIFD at \(o)"
        }
    }
}
