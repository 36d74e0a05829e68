import ArgumentParser
import Foundation
import MedDataset
import MedIO
import MedImage
import MedRegistration

struct Pairs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register microscope fields to a low-magnification image and write real LR/HR training pairs.",
        discussion: """
        Every file in HIGH (a folder of fields, e.g. 40x photographs) is located in LOW (e.g. the \
        4x image) as `medsr register` does. The LR tiles are LOW's own pixels under the field — \
        real optics, not a synthetic bicubic degradation — and the HR tiles are the field resampled \
        (Pillow's bicubic) onto exactly --factor × LOW's grid there. Only LOW pixels the field \
        covers completely are used.

        The output is the dataset layout `medsr build` writes ({train,val,test}/{hr,lr_x<factor>}, \
        tiles.csv with each tile's position in LOW pixels, the dataset card), so `medsr train \
        --dataset DS --scale FACTOR` trains on it. Fields go to splits by a keyed hash of their \
        file name; fields of one slide come from one patient, so build one pairs dataset per slide \
        group if splits must be patient-disjoint.

        Fields that are unreadable, of another channel count or sample type, not found (their \
        detail does not stand out of LOW's own correlations, see `register`, or they are flat) \
        or too small for one tile are listed and skipped; the exit \
        status is then 3 (1 when no field could be used). LOW and the fields must have the same \
        channels (1 or 3) and sample type (8- or 16-bit).

        Examples:
          medsr pairs --low slide_4x.tif --high fields_40x/ --scale 10 --out pairs.zarr
          medsr pairs --low slide.tif --level 2 --high fields/ --scale-range 3.6:4.4 --factor 4 --tile 128 --out ds --overlay check.png
        """
    )

    @Option(help: "The low-magnification image.") var low: String
    @Option(help: "Folder of high-magnification fields (or one field).") var high: String
    @OptionGroup var scaleOptions: ScaleOptions
    @Option(help: "Dataset folder to create.") var out: String
    @Option(parsing: .unconditional, help: "The dataset's integer scale: HR tiles are this many times LR tiles (default: the nominal ratio, rounded).")
    var factor: Int?
    @Option(parsing: .unconditional, help: "HR tile side, a multiple of --factor (default: the largest multiple ≤ 256).") var tile: Int?
    @Option(parsing: .unconditional, help: "HR step between tiles, a multiple of --factor (default: --tile).") var stride: Int?
    @Option(help: "Split percentages train/val/test.") var split = "70/15/15"
    @Option(help: "Split seed.") var seed = "medsr"
    @Option(help: "Chunk compression: none, zstd or zstd:LEVEL.") var compression = "zstd"
    @Option(help: "Write LOW with every found field outlined (PNG).") var overlay: String?

    var scaleFactor: Int { factor ?? Int(scaleOptions.nominal.rounded()) }
    var tileSide: Int { tile ?? scaleFactor * max(1, 256 / max(scaleFactor, 1)) }

    func validate() throws {
        if !(2 ... 16).contains(scaleFactor) {
            throw ValidationError("--factor must be 2…16 (the nominal ratio \(scaleOptions.nominal) gives \(scaleFactor)); give --factor")
        }
        if tileSide % scaleFactor != 0 { throw ValidationError("--tile \(tileSide) is not a multiple of --factor \(scaleFactor)") }
        if let stride, stride < 1 || stride % scaleFactor != 0 { throw ValidationError("--stride must be a positive multiple of --factor \(scaleFactor)") }
        if split.split(separator: "/").compactMap({ Int($0) }).count != 3 { throw ValidationError("--split takes train/val/test percentages like 70/15/15") }
    }

    func run() throws {
        let lowImage = try withCleanError { try scaleOptions.readLow(low) }
        var coarse = lowImage.pixels.frame(0)
        if coarse.samplesPerPixel == 4 { coarse = coarse.keepingSamples(3) }
        guard coarse.samplesPerPixel == 1 || coarse.samplesPerPixel == 3,
              coarse.sampleType == .uint8 || coarse.sampleType == .uint16 else {
            report("medsr: \(low): pairs need 1- or 3-channel 8- or 16-bit images (this has \(coarse.samplesPerPixel) channels of \(coarse.sampleType))")
            throw ExitCode(1)
        }
        let fields = try withCleanError { try Self.list(high) }
        var recipe = Recipe(name: "pairs", source: .images)
        recipe.description = "registered pairs: LR from \(URL(fileURLWithPath: low).lastPathComponent), HR from the fields in \(URL(fileURLWithPath: high).lastPathComponent)"
        recipe.bits = coarse.sampleType == .uint8 ? 8 : 16
        recipe.channels = coarse.samplesPerPixel
        recipe.tile = tileSide
        recipe.stride = stride ?? tileSide
        recipe.scales = [scaleFactor]
        recipe.compression = compression
        recipe.split.seed = seed
        recipe.split.ratios = split.split(separator: "/").compactMap { Int($0) }
        let degradation = "real optics: LR tiles are the low-magnification image's pixels; HR tiles are registered fields resampled onto exactly \(scaleFactor)× that grid (Pillow-compatible bicubic)"
        let writer = try withCleanError {
            try PairDatasetWriter(recipe: recipe, output: URL(fileURLWithPath: out).standardizedFileURL, degradation: degradation)
        }
        let cutter = PairCutter(factor: scaleFactor, tile: tileSide, stride: stride ?? tileSide)
        let builder = PairsBuilder(low: coarse, cutter: cutter) { scaleOptions.locate($0, in: $1) }
        let summary = try withCleanError {
            try builder.run(fields: fields, writer: writer) { event in
                switch event {
                case .skipped(let path, let why): report("medsr: \(path): \(why); skipped")
                case .used(let name, let r, let tiles):
                    print(String(format: "%@: x %.2f, y %.2f, scale %.3f, correlation %.4f, %d tile(s)", name, r.x, r.y, r.scale, r.score, tiles))
                }
            }
        }
        let (used, failed, boxes) = (summary.used, summary.skipped, summary.boxes)
        print("\(used) of \(fields.count) field(s) registered, \(summary.tiles) tile pair(s) (\(tileSide)² HR, \(tileSide / scaleFactor)² LR ×\(scaleFactor)) → \(out)")
        for name in ["train", "val", "test"] { print("  \(name): \(summary.splits?.counts[name]?.tiles ?? 0) tiles") }
        if let overlay {
            try withCleanError { try PNGCodec.write(Register.outline(coarse, boxes: boxes), to: URL(fileURLWithPath: overlay)) }
        }
        if used == 0 { throw ExitCode(1) }
        if failed > 0 { throw ExitCode(3) }
    }

    /// The fields: HIGH itself when it is a file, else its visible regular files by name.
    static func list(_ path: String) throws -> [(String, URL)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(path): no such file or folder")
        }
        let url = URL(fileURLWithPath: path)
        guard isDirectory.boolValue else { return [(url.lastPathComponent, url)] }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
        return names.map { ($0, url.appendingPathComponent($0)) }.filter { (try? $0.1.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }
}
