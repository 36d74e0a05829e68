import ArgumentParser
import CMalloc
import Foundation
import MedDataset
import MedImage
import MedNN

/// `medsr`: prepare medical images for super-resolution and audit what it does.
@main
struct MedSR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medsr",
        abstract: "Turn raw medical images (DICOM, NIfTI, MATLAB, TIFF slides, PNG, JPEG, BMP) into training data.",
        discussion: """
        Exit status: 0 success, 1 nothing could be done, 2 usage error, 3 some inputs failed. \
        Patient identifiers never appear in output unless --show-phi (inspect) or --keep-identifiers (upscale) is given.
        """,
        version: MedSRVersion.string,
        subcommands: [Inspect.self, Convert.self, Build.self, Merge.self, Export.self, Evaluate.self, AuditCommand.self, Train.self, ClassifyCommand.self, DownstreamCommand.self, Upscale.self, Restore.self, Register.self, Pairs.self, Serve.self]
    )

    /// Usage errors exit with 2 (not ArgumentParser's 64), as the README promises.
    static func main() {
        msr_line_buffer_stdout()
        for interrupt in [SIGINT, SIGTERM] {
            signal(interrupt) { number in
                let text: StaticString = "\nmedsr: interrupted; files under their final names are complete, a build continues with --resume, and training with --resume RUN from its last checkpoint (written every --checkpoint-every steps; none before the first)\n"
                _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
                signal(number, SIG_DFL)
                raise(number)
            }
        }
        msr_tune_allocator()
        BLASThreads.park()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Writes one line to standard error.
func report(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// One line for any error: a Foundation file error as its path and the system's reason
/// ("read-only file system"), never `Error Domain=NSCocoaErrorDomain Code=642 …`.
func oneLine(_ error: any Error) -> String {
    let text = OutputLocation.describe(error) ?? String(describing: error)
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}

/// The worker count when --jobs / --threads is not given.
let processorCount = ProcessInfo.processInfo.activeProcessorCount
