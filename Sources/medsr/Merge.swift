import ArgumentParser
import Foundation
import MedDataset

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the parts of a `medsr build --shard i/n` build into one dataset.",
        discussion: """
        Every part must come from the same recipe, input and key, and together they must cover \
        the whole build. The result is byte-identical to a one-process build.

        Example:
          medsr merge part-0 part-1 part-2 --out ds/
        """
    )

    @Argument(help: "Part folders written by medsr build --shard.") var parts: [String]
    @Option(help: "Dataset folder to create.") var out: String

    func run() throws {
        let split = try withCleanError {
            try DatasetBuilder.merge(parts: parts.map { URL(fileURLWithPath: $0).standardizedFileURL },
                                     output: URL(fileURLWithPath: out).standardizedFileURL)
        }
        print("dataset written to \(URL(fileURLWithPath: out).standardizedFileURL.path)")
        for line in split.lines() { print(line) }
        for (file, reason) in split.skipped { report("medsr: skipped \(file): \(reason)") }
        if !split.skipped.isEmpty { throw ExitCode(3) }
    }
}
