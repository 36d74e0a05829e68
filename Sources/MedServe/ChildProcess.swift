import Foundation

/// Runs the `medsr` executable as a child process: a file that crashes or hangs a C reader
/// takes down the child, never the server (as MedIO reads MATLAB v7.3 in a child).
struct ChildProcess: Sendable {
    struct Outcome: Sendable {
        var status: Int32
        /// True when the child ended by a signal (a crash) or was killed for its time.
        var crashed: Bool
        var timedOut: Bool
        var stdout: Data
        var stderr: Data
        var lastErrorLine: String {
            String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        }
    }

    let executable: URL
    let timeoutSeconds: Double

    func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        // Both pipes are drained while the child runs (a full pipe would block it).
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        try process.run()
        var timedOut = false
        if done.wait(timeout: .now() + timeoutSeconds) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            done.wait()
        }
        group.wait()
        let crashed = process.terminationReason == .uncaughtSignal
        return Outcome(status: process.terminationStatus, crashed: crashed || timedOut, timedOut: timedOut, stdout: outData, stderr: errData)
    }
}
