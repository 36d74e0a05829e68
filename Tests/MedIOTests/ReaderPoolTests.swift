import CMatio
import Foundation
import ReaderPoolJobs
import Testing

/// The reader processes (Sources/CMatio/msr_reader_pool.c) tested alone, with jobs that
/// misbehave as libhdf5 does on damaged files (Tests/ReaderPoolJobs): the isolation must turn
/// each into an error for that request and keep serving the next.
@Suite("Reader processes, without HDF5")
struct ReaderPoolTests {
    /// Asks `job` to read `path`; the answer's text, or the pool's message as the error.
    private func ask(_ job: UnsafePointer<msr_reader_job>, _ path: String, timeoutMS: Int32 = 10_000) -> Result<String, AskError> {
        var text = [CChar](repeating: 0, count: 4096)
        var err = [CChar](repeating: 0, count: 512)
        let status = msr_test_ask(job, path, timeoutMS, &text, text.count, &err, err.count)
        let decode = { (buffer: [CChar]) in String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return status == 0 ? .success(decode(text)) : .failure(AskError(message: decode(err)))
    }

    struct AskError: Error { let message: String }

    @Test func answersComeBackThroughThePool() throws {
        for i in 0 ..< 20 {  // more requests than one reader serves in a row, from pooled readers
            #expect(try ask(withUnsafePointer(to: msr_test_echo_job) { $0 }, "/data/file-\(i)").get() == "/data/file-\(i)")
        }
    }

    @Test func aCrashIsAnErrorForThatRequestOnly() {
        let hostile = withUnsafePointer(to: msr_test_hostile_job) { $0 }
        guard case .failure(let error) = ask(hostile, "/data/crash") else { Issue.record("a crash was answered"); return }
        #expect(error.message == "the hostile job crashed on it; the file is damaged")
        #expect((try? ask(hostile, "/data/next-1").get()) == "/data/next-1")
    }

    @Test func aHangIsStoppedAtTheTimeLimit() {
        let hostile = withUnsafePointer(to: msr_test_hostile_job) { $0 }
        let start = ContinuousClock.now
        guard case .failure(let error) = ask(hostile, "/data/hang", timeoutMS: 300) else { Issue.record("a hang was answered"); return }
        #expect(error.message == "the hostile job hung on it (no answer within the time limit); the file is damaged")
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect((try? ask(hostile, "/data/next-2").get()) == "/data/next-2")
    }

    @Test func aRunawayAllocationIsStopped() {
        let hostile = withUnsafePointer(to: msr_test_hostile_job) { $0 }
        guard case .failure(let error) = ask(hostile, "/data/grow") else { Issue.record("a runaway allocation was answered"); return }
        #expect(error.message.hasPrefix("the hostile job "))
        #expect(error.message.hasSuffix("; the file is damaged"))
        #expect((try? ask(hostile, "/data/next-3").get()) == "/data/next-3")
    }

    /// Two jobs keep separate zygotes: a request never reaches a reader of another job.
    @Test func jobsDoNotShareReaders() {
        let echo = withUnsafePointer(to: msr_test_echo_job) { $0 }
        let hostile = withUnsafePointer(to: msr_test_hostile_job) { $0 }
        // The echo job answers a path ending in "crash"; the hostile job crashes on it.
        #expect((try? ask(echo, "/data/crash").get()) == "/data/crash")
        #expect((try? ask(hostile, "/data/crash").get()) == nil)
    }
}
