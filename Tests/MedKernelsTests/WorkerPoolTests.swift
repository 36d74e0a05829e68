import Foundation
import MedKernels
import Synchronization
import Testing

/// `parallelFor` on the shared worker pool: every index runs exactly once, worker numbers stay
/// below the count asked for, and calls made while the pool is busy (nested, or from several
/// threads at once) still finish with every index done.
@Suite struct WorkerPoolTests {
    /// Runs `parallelFor` and returns how often each index ran and the largest worker number.
    static func run(_ count: Int, workers: Int, work: Int = 0) -> (hits: [Int], maxWorker: Int) {
        // Each index writes only its own slots (a second run of an index would count 2, and
        // ThreadSanitizer would see the two writes race).
        var hits = [Int](repeating: 0, count: count), seen = [Int](repeating: 0, count: count)
        hits.withUnsafeMutableBufferPointer { h in
            seen.withUnsafeMutableBufferPointer { w in
                let (hp, wp) = (UnsafeSendable(h.baseAddress), UnsafeSendable(w.baseAddress))
                parallelFor(count, workers: workers) { i, worker in
                    var s = 0.0
                    for j in 0 ..< work { s += Double(j).squareRoot() }
                    hp.value![i] += s < 0 ? 2 : 1
                    wp.value![i] = worker
                }
            }
        }
        return (hits, seen.max() ?? 0)
    }

    @Test(arguments: [(0, 2), (1, 2), (2, 2), (7, 1), (1000, 2), (333, 4), (64, 16)])
    func everyIndexRunsOnce(count: Int, workers: Int) {
        for round in 0 ..< 50 {
            let (hits, maxWorker) = Self.run(count, workers: workers, work: round % 3 == 0 ? 200 : 0)
            #expect(hits == Array(repeating: 1, count: count))
            #expect(maxWorker < max(1, workers))
        }
    }

    @Test func nestedCallsFinish() {
        let total = Atomic<Int>(0)
        parallelFor(8, workers: 2) { _, _ in
            parallelFor(10, workers: 2) { j, _ in total.wrappingAdd(j, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 8 * 45)
    }

    @Test func callsFromManyThreadsAtOnceFinish() {
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 6) { t in
            for round in 0 ..< 40 {
                let (hits, maxWorker) = Self.run(50 + t + round, workers: 2, work: 50)
                if hits != Array(repeating: 1, count: 50 + t + round) || maxWorker > 1 {
                    failures.wrappingAdd(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    @Test func writesAreVisibleToTheCaller() {
        // Plain (non-atomic) writes by the workers, read after the call returns.
        for _ in 0 ..< 100 {
            var values = [Int](repeating: 0, count: 4096)
            values.withUnsafeMutableBufferPointer { buffer in
                let pointer = UnsafeSendable(buffer.baseAddress)
                parallelFor(64, workers: 2) { block, _ in
                    for i in block * 64 ..< (block + 1) * 64 { pointer.value![i] = i &* 3 }
                }
            }
            #expect(values == (0 ..< 4096).map { $0 &* 3 })
        }
    }
}

struct UnsafeSendable: @unchecked Sendable {
    let value: UnsafeMutablePointer<Int>?
    init(_ value: UnsafeMutablePointer<Int>?) { self.value = value }
}
