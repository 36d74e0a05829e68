import Foundation
import Synchronization

/// A one-line progress bar on standard error, shown only when it is a terminal.
final class Progress: Sendable {
    private let total: Int
    private let unit: String
    private let start = Date()
    private let state = Mutex((done: 0, lastDraw: 0.0))
    private let enabled = isatty(2) == 1

    init(total: Int, unit: String) {
        self.total = total
        self.unit = unit
    }

    /// - Parameter detail: shown after the rate (e.g. the current loss).
    func advance(by n: Int = 1, detail: String = "") {
        guard enabled else { return }
        let line: String? = state.withLock { s in
            s.done += n
            let now = Date().timeIntervalSince(start)
            guard now - s.lastDraw > 0.1 || s.done == total else { return nil }
            s.lastDraw = now
            let rate = Double(s.done) / max(now, 1e-9)
            let eta = s.done >= total ? "finishing" : etaText(rate > 0 ? Double(total - s.done) / rate : nil)
            let width = 30, filled = total > 0 ? width * min(s.done, total) / total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            return String(format: "\r%@ %d/%d %@  %.1f %@/s  %@ %@", bar, s.done, total, unit, rate, unit, eta, detail)
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// Prints a line on standard output above the bar (the bar is redrawn on the next advance).
    func note(_ line: String) {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print(line)
    }
}

/// "ETA 8s", "ETA 2m05s", "ETA 1h03m", rounded up (a second still to go is never "0s");
/// "ETA –" while there is nothing to estimate from.
func etaText(_ seconds: Double?) -> String {
    guard let seconds, seconds.isFinite, seconds >= 0 else { return "ETA –" }
    let s = Int(seconds.rounded(.up))
    if s < 60 { return "ETA \(s)s" }
    if s < 3600 { return String(format: "ETA %dm%02ds", s / 60, s % 60) }
    return String(format: "ETA %dh%02dm", s / 3600, (s % 3600) / 60)
}
