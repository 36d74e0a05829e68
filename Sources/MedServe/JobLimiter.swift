import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// At most `slots` heavy jobs (model runs, uploads) at once, at most `queueLimit` waiting;
/// beyond that a request is refused (503) instead of piling up. Jobs run on Dispatch's global
/// queue, so blocking CPU work never starves the server's own tasks.
final class JobLimiter: Sendable {
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    let slots: Int
    let queueLimit: Int
    private let state = Mutex(State())

    init(slots: Int, queueLimit: Int) {
        self.slots = slots
        self.queueLimit = queueLimit
    }

    /// Jobs running and waiting now.
    var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiting.count) } }

    /// Runs `body` when a slot is free.
    /// - Throws: `ServeError` 503 when `queueLimit` requests are already waiting; what `body` throws.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    private func acquire() async throws {
        enum Decision { case go, wait, refuse }
        let decision: Decision = state.withLock {
            if $0.running < slots { $0.running += 1; return .go }
            return $0.waiting.count < queueLimit ? .wait : .refuse
        }
        switch decision {
        case .go: return
        case .refuse: throw ServeError(status: .serviceUnavailable, message: "busy: \(slots) job(s) running and \(queueLimit) waiting; try again shortly")
        case .wait:
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let admitted: Bool = state.withLock {
                    // A slot may have come free between the decision and here.
                    if $0.running < slots { $0.running += 1; return true }
                    $0.waiting.append(c)
                    return false
                }
                if admitted { c.resume() }
            }
        }
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock {
            if $0.waiting.isEmpty { $0.running -= 1; return nil }
            return $0.waiting.removeFirst()  // the slot passes to it: `running` stays
        }
        next?.resume()
    }
}
