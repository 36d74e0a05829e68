import CZstd

/// Zstandard frames for the Zarr `zstd` codec (single-threaded, so output is deterministic).
public enum Zstd {
    /// Compresses `bytes` at `level` (1…19) with a fresh context. In loops, use a `Compressor`.
    public static func compress(_ bytes: [UInt8], level: Int) -> [UInt8] {
        let compressor = Compressor()
        return compressor.compress(bytes, level: level)
    }

    /// A reusable compression context (creating one per chunk costs more than compressing a
    /// 64 KiB tile). Not thread-safe: one per thread.
    public final class Compressor {
        private let context: OpaquePointer

        public init() {
            guard let context = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx: out of memory") }
            self.context = context
        }

        deinit { ZSTD_freeCCtx(context) }

        public func compress(_ bytes: [UInt8], level: Int) -> [UInt8] {
            let bound = ZSTD_compressBound(bytes.count)
            return [UInt8](unsafeUninitializedCapacity: bound) { dst, count in
                let written = bytes.withUnsafeBytes { src in
                    ZSTD_compressCCtx(context, dst.baseAddress, bound, src.baseAddress, src.count, Int32(level))
                }
                precondition(ZSTD_isError(written) == 0, "ZSTD_compressCCtx cannot fail with a bound-sized buffer")
                count = written
            }
        }
    }

    /// Decompresses one frame whose content size is `expected` bytes; nil when the frame is
    /// damaged or declares another size (never allocates more than `expected`).
    public static func decompress(_ bytes: some Collection<UInt8>, expected: Int) -> [UInt8]? {
        let src = Array(bytes)
        let declared = src.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are the top two values of UInt64.
        guard declared < UInt64.max - 1, declared == UInt64(expected) else { return nil }
        var out = [UInt8](repeating: 0, count: expected)
        let n = out.withUnsafeMutableBytes { dst in
            src.withUnsafeBytes { ZSTD_decompress(dst.baseAddress, expected, $0.baseAddress, $0.count) }
        }
        guard ZSTD_isError(n) == 0, n == expected else { return nil }
        return out
    }
}
