import CKernels
import Dispatch
import Foundation
import Synchronization

/// Runs `body(index, worker)` for every index in `0 ..< count` on up to `workers` threads, the
/// calling thread included; `worker` (< `workers`) names the thread's own scratch. Indices are
/// claimed one at a time, so uneven jobs balance. Callers guarantee that indices touch disjoint
/// memory. Returns when every index is done.
///
/// The threads come from `WorkerPool.shared`, whose threads keep spinning for a short while
/// after a job, so the next one starts without a wake-up. Waking a sleeping thread costs about
/// 40 µs on this kind of virtual machine, which is a fifth of a typical layer's work: a network
/// step runs hundreds of short parallel loops, and through `DispatchQueue.concurrentPerform`
/// half a training step's second core went to waiting. A call made while the pool is busy (from
/// inside a job, or from another thread at the same time) runs on Dispatch's threads instead.
public func parallelFor(_ count: Int, workers: Int, _ body: (Int, Int) -> Void) {
    if workers <= 1 || count <= 1 {
        for i in 0 ..< count { body(i, 0) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let task = PoolBody(run: escapable)
        if WorkerPool.shared.perform(count, workers: workers, task) { return }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(workers, count)) { worker in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < count else { return }
                task.run(i, worker)
            }
        }
    }
}

/// A job's body, handed to the pool's threads for the length of one `parallelFor` call.
struct PoolBody: @unchecked Sendable {
    let run: (Int, Int) -> Void
}

/// Threads (one fewer than the processors) that run `parallelFor`'s jobs with the caller.
///
/// One job at a time: the caller posts it (under `lock`, bumping `generation`), works on it
/// itself, waits until every index is done, closes it, and waits until every thread that joined
/// has left, so no thread holds the body once `perform` returns. Idle threads spin on
/// `generation` for up to `spinNanoseconds`, then sleep on `lock` until the next post.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(threads: ProcessInfo.processInfo.activeProcessorCount - 1)

    private static let spinNanoseconds: UInt64 = 100_000

    /// Guards `body`, `count`, `limit`, `open`, `joined` and `sleepers`.
    private let lock = NSCondition()
    private var body: UnsafePointer<PoolBody>?
    private var count = 0
    private var limit = 0
    private var open = false
    private var joined = 0
    private var sleepers = 0

    private let generation = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    private let left = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let threads: Int
    /// Read and written only while `busy` is held.
    private var started = false

    init(threads: Int) { self.threads = max(0, threads) }

    /// Runs `task` for `0 ..< count` on the caller and up to `workers − 1` pool threads; false
    /// (nothing run) when the pool is busy or has no threads.
    func perform(_ count: Int, workers: Int, _ task: PoolBody) -> Bool {
        guard threads > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        startThreads()
        withUnsafePointer(to: task) { pointer in
            lock.lock()
            body = pointer
            self.count = count
            limit = min(workers, count) - 1
            open = true
            joined = 0
            next.store(0, ordering: .relaxed)
            done.store(0, ordering: .relaxed)
            left.store(0, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .releasing)
            if sleepers > 0 { lock.broadcast() }
            lock.unlock()

            work(pointer, count: count, worker: 0)
            var spins = 0
            while done.load(ordering: .acquiring) < count { pause(&spins) }
            lock.lock()
            open = false
            body = nil
            let joiners = joined
            lock.unlock()
            spins = 0
            while left.load(ordering: .acquiring) < joiners { pause(&spins) }
        }
        return true
    }

    private func work(_ pointer: UnsafePointer<PoolBody>, count: Int, worker: Int) {
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < count else { return }
            Self.invoke(pointer, i, worker)
            done.wrappingAdd(1, ordering: .releasing)
        }
    }

    @inline(never)
    private static func invoke(_ pointer: UnsafePointer<PoolBody>, _ index: Int, _ worker: Int) {
        pointer.pointee.run(index, worker)
    }

    /// Spins with the CPU's pause hint, yielding the processor now and then.
    private func pause(_ spins: inout Int) {
        spins += 1
        if spins & 1023 == 0 { sched_yield() } else { msr_cpu_relax() }
    }

    private func startThreads() {
        guard !started else { return }
        for _ in 0 ..< threads {
            let thread = Thread { [unowned self] in self.loop() }
            thread.name = "medsr-worker"
            thread.stackSize = 8 << 20
            thread.start()
        }
        started = true
    }

    private func loop() {
        var seen = generation.load(ordering: .acquiring)
        while true {
            // Spin for the next job, then sleep until one is posted.
            let start = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                msr_cpu_relax()
                if spins & 255 == 0, DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds { break }
            }
            lock.lock()
            while generation.load(ordering: .acquiring) == seen {
                sleepers += 1
                lock.wait()
                sleepers -= 1
            }
            seen = generation.load(ordering: .acquiring)
            guard open, joined < limit, let pointer = body else {
                lock.unlock()
                continue
            }
            joined += 1
            let worker = joined, count = self.count
            lock.unlock()
            work(pointer, count: count, worker: worker)
            left.wrappingAdd(1, ordering: .releasing)
        }
    }
}
