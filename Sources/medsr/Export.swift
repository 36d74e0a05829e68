import ArgumentParser
import Foundation
import MedDataset
import MedIO
import MedImage
import Zarr

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the tiles of a dataset split as PNG or .npy files.",
        discussion: """
        Files are named OUT/<split>/<array>/<index>.png (or .npy), index as in tiles.csv. \
        An .npy holds [rows, columns] or [rows, columns, channels] in the stored type; PNG is \
        8- or 16-bit as stored, masks as 0/255.

        Examples:
          medsr export ds/ --split val --format png --out val-png/
          medsr export ds/ --split test --array lr_x4 --format npy --out test-lr/
        """
    )

    @Argument(help: "Dataset folder.") var dataset: String
    @Option(help: "train, val or test.") var split = "val"
    @Option(help: "png or npy.") var format = "png"
    @Option(help: "hr, lr_x<s>, mask, or all.") var array = "all"
    @Option(help: "Output folder.") var out: String

    func validate() throws {
        if !SplitReport.splitNames.contains(split) { throw ValidationError("--split is train, val or test") }
        if format != "png" && format != "npy" { throw ValidationError("--format is png or npy") }
    }

    func run() throws {
        let root = URL(fileURLWithPath: dataset).standardizedFileURL
        let ds = try withCleanError { try Dataset(root: root) }
        var names = ["hr"] + ds.scales.map { "lr_x\($0)" } + (ds.hasMasks ? ["mask"] : [])
        if array != "all" {
            guard names.contains(array) else {
                report("medsr: \(dataset): no array '\(array)' (has \(names.joined(separator: ", ")))")
                throw ExitCode(2)
            }
            names = [array]
        }
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        var written = 0
        try withCleanError {
            for name in names {
                let reader = try ds.array(split, name)
                let folder = outURL.appendingPathComponent(split).appendingPathComponent(name)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for i in 0 ..< reader.count {
                    var pixels = try ds.tilePixels(reader, i)
                    let file = folder.appendingPathComponent(String(format: "%06d.%@", i, format))
                    if format == "npy" {
                        try NPYFile.write(pixels, to: file)
                    } else {
                        if name == "mask" { pixels = Self.visible(mask: pixels) }
                        try PNGCodec.write(pixels, to: file)
                    }
                    written += 1
                }
            }
        }
        print("wrote \(counted(written, "file")) under \(outURL.appendingPathComponent(split).path)")
    }

    /// A 0/1 mask as 0/255, so it shows in an image viewer.
    static func visible(mask pixels: PixelArray) -> PixelArray {
        guard case .uint8(let v) = pixels.samples else { return pixels }
        var out = pixels
        out.samples = .uint8(v.map { $0 == 0 ? 0 : 255 })
        return out
    }
}
