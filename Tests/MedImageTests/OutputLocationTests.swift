import Foundation
import MedImage
import Testing

/// Outputs are checked before work starts, and system failures read as one line with a reason.
@Suite("Output locations")
struct OutputLocationTests {
    @Test func createsNestedFoldersAndLeavesNoProbe() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("a/b/c")
        try OutputLocation.prepareFolder(folder)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        try OutputLocation.prepareFile(root.appendingPathComponent("x/report.html"))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("x").path))
    }

    /// /sys refuses new entries even to root; a regular file cannot hold a folder.
    @Test func unwritablePlacesNameThePathAndTheReason() throws {
        let sys = #expect(throws: OutputError.self) { try OutputLocation.prepareFolder(URL(fileURLWithPath: "/sys/medsr-test/out")) }
        #expect(sys?.code == .writeFailed)
        #expect(sys?.description == "/sys/medsr-test: output: cannot create the folder: operation not permitted")
        let inSys = #expect(throws: OutputError.self) { try OutputLocation.prepareFile(URL(fileURLWithPath: "/sys/scores.csv")) }
        #expect(inSys?.description == "/sys/scores.csv: output: cannot write the file: permission denied")
        #expect(!FileManager.default.fileExists(atPath: "/sys/scores.csv"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let notFolder = #expect(throws: OutputError.self) { try OutputLocation.prepareFolder(file.appendingPathComponent("sub")) }
        #expect(notFolder?.description == "\(file.path): output: exists and is not a folder")
        let isFolder = #expect(throws: OutputError.self) { try OutputLocation.prepareFile(FileManager.default.temporaryDirectory) }
        #expect(isFolder?.description.hasSuffix("is a folder; give a file name") == true)
    }

    @Test func foundationErrorsBecomeOneLine() {
        let readOnly = CocoaError(.fileWriteVolumeReadOnly, userInfo: [NSFilePathErrorKey: "/mnt/ro/a.png"])
        #expect(OutputLocation.describe(readOnly) == "/mnt/ro/a.png: read-only file system")
        let full = CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/mnt/full/a.png"])
        #expect(OutputLocation.describe(full) == "/mnt/full/a.png: no space left on device")
        let posix = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
                            userInfo: [NSFilePathErrorKey: "/x", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
        #expect(OutputLocation.describe(posix) == "/x: permission denied")
        struct Other: Error {}
        #expect(OutputLocation.describe(Other()) == nil)
    }
}
