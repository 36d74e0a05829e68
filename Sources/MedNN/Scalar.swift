import CBLAS

/// The element types a network runs in: `Float` for training and inference, `Double` for
/// checking gradients against finite differences.
public protocol NNScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable where Self.RawSignificand: FixedWidthInteger {
    /// C = alpha · op(A) · op(B) + beta · C, row-major (BLAS `gemm`).
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    static func tanh(_ x: Self) -> Self
    static func exp(_ x: Self) -> Self
}

extension Float: NNScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func tanh(_ x: Float) -> Float { Float.tanhImpl(x) }
    public static func exp(_ x: Float) -> Float { Float.expImpl(x) }
}

extension Double: NNScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func tanh(_ x: Double) -> Double { Double.tanhImpl(x) }
    public static func exp(_ x: Double) -> Double { Double.expImpl(x) }
}

/// Threads for BLAS. MedSR uses one level of parallelism: BLAS threads, never our own on top.
public enum BLASThreads {
    public static func set(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
        // Setting the count starts OpenBLAS's workers again (and they spin); one thread needs none.
        if n <= 1 { park() }
    }

    /// Stops OpenBLAS's worker threads until BLAS next needs them. OpenBLAS starts them when it
    /// loads, and each spins on `sched_yield` for about 0.1 s before it sleeps: CPU time taken
    /// from every command, most of which never multiply a matrix. The next threaded BLAS call
    /// starts them again (OpenBLAS 0.3.21's `exec_blas_async`).
    public static func park() { _ = blas_thread_shutdown_() }
}

/// Which OpenBLAS kernels run ("Haswell", "SkylakeX", …): OpenBLAS chooses them for the CPU,
/// unless `OPENBLAS_CORETYPE` names them.
public enum BLASKernels {
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
}
