public import Foundation
import MedImage

/// Writes that never leave a half-written file under the final name: data goes to a
/// temporary file beside the target, then is renamed over it.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { temporary in try data.write(to: temporary) }
    }

    /// Runs `produce` on a temporary path in the target's folder, then renames it into place.
    /// The temporary file is removed if `produce` throws.
    public static func write(to url: URL, _ produce: (URL) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).part")
        do {
            try produce(temporary)
            if rename(temporary.path, url.path) != 0 {
                throw OutputError(.writeFailed, path: url.path, "cannot move the finished file into place: \(OutputLocation.systemReason(errno))")
            }
        } catch {
            // A failure of the disk, named by the final file (not the temporary one) and the system's
            // reason; a full disk is seen before the temporary file is removed and frees its blocks.
            let full = OutputLocation.hasNoSpace(folder.path)
            try? FileManager.default.removeItem(at: temporary)
            if error is OutputError { throw error }
            if let reason = OutputLocation.reason(of: error) { throw OutputError(.writeFailed, path: url.path, reason) }
            if full { throw OutputError(.writeFailed, path: url.path, OutputLocation.systemReason(ENOSPC)) }
            throw error
        }
    }
}
