import CBLAS
import Glibc

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
        BLASThreads.gate.reading {
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        }
    }
    public static func tanh(_ x: Float) -> Float { Float.tanhImpl(x) }
    public static func exp(_ x: Float) -> Float { Float.expImpl(x) }
}

extension Double: NNScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        BLASThreads.gate.reading {
            cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        }
    }
    public static func tanh(_ x: Double) -> Double { Double.tanhImpl(x) }
    public static func exp(_ x: Double) -> Double { Double.expImpl(x) }
}

/// Threads for BLAS. MedSR uses one level of parallelism: BLAS threads, never our own on top.
///
/// Changing OpenBLAS's thread count or stopping its threads while another thread is inside a
/// threaded BLAS call leaves that call waiting forever for workers that are gone, so every
/// `gemm` holds `gate` for reading and `set`/`park` hold it for writing (writers first, so a
/// steady stream of multiplications cannot starve them); `set` does nothing when the count
/// does not change, so building a network with its one BLAS thread does not wait for others.
public enum BLASThreads {
    public static func set(_ n: Int) {
        let n = max(1, n)
        gate.writing {
            guard openblas_get_num_threads() != Int32(n) else { return }
            openblas_set_num_threads(Int32(n))
            // Setting the count starts OpenBLAS's workers again (and they spin); one thread needs none.
            if n == 1 { _ = blas_thread_shutdown_() }
        }
    }

    /// Stops OpenBLAS's worker threads until BLAS next needs them. OpenBLAS starts them when it
    /// loads, and each spins on `sched_yield` for about 0.1 s before it sleeps: CPU time taken
    /// from every command, most of which never multiply a matrix. The next threaded BLAS call
    /// starts them again (OpenBLAS 0.3.21's `exec_blas_async`).
    public static func park() { gate.writing { _ = blas_thread_shutdown_() } }

    static let gate = ReadWriteGate()
}

/// A pthread read-write lock that prefers writers (ThreadSanitizer follows pthread locks).
final class ReadWriteGate: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    func reading<R>(_ body: () -> R) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }

    func writing<R>(_ body: () -> R) -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }
}

/// Which OpenBLAS kernels run ("Haswell", "SkylakeX", …): OpenBLAS chooses them for the CPU,
/// unless `OPENBLAS_CORETYPE` names them.
public enum BLASKernels {
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
}
