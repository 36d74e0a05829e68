import CKernels

/// The numeric C kernels (`CKernels`), typed for Swift. Each kernel is compiled three times — for
/// baseline x86-64, for AVX2 + FMA and for AVX-512 — and the best copy the CPU runs is chosen at
/// run time (Swift cannot select instruction sets per function); other architectures get the
/// portable copy. The families live in `Kernels+<Family>.swift`, each over one C file.
///
/// The wrappers check nothing the C side does not: callers validate shapes at their edges, as
/// each function's contract says.
public enum Kernels {
    /// The copy that runs: 0 portable, 1 AVX2 + FMA, 2 AVX-512 (F, DQ, BW, VL), the best this
    /// CPU has up to the cap.
    public static var level: Int { Int(msr_kernels_level()) }

    /// Caps the copy that runs at `level` (2 by default; tests run the lower copies with it).
    /// Process-wide. Returns the previous cap.
    @discardableResult
    public static func limitLevel(_ level: Int) -> Int { Int(msr_kernels_limit(Int32(level))) }
}
