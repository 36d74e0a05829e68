public import Foundation
import MedKernels

/// Paths of committed fixtures, found from this source file (tests never need the network).
public enum FixturePath {
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(relative)))
    }
}

/// Runs `body` with the C kernels capped at `level` (0 portable, 1 AVX2; see `Kernels.level`).
/// The cap is process-wide: tests that change it take turns, and restore it.
public enum KernelCopies {
    private static let turn = NSLock()

    public static func with<T>(level: Int32, _ body: () throws -> T) rethrows -> T {
        turn.lock()
        let cap = Kernels.limitLevel(Int(level))
        defer {
            Kernels.limitLevel(cap)
            turn.unlock()
        }
        return try body()
    }

    /// Runs `body` with the kernel copies as they are, while no other test changes them: for
    /// tests that compare results bit for bit (two runs, two thread counts), since copies for
    /// different instruction sets round differently.
    public static func steady<T>(_ body: () throws -> T) rethrows -> T {
        turn.lock()
        defer { turn.unlock() }
        return try body()
    }
}
