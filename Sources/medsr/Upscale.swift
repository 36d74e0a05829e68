import ArgumentParser
import Foundation
import MedDataset
import MedIO
import MedImage
import MedNN

struct Upscale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upscale an image with a trained model (any format MedSR reads), tile by tile.",
        discussion: """
        The input goes through the intensity mapping of the dataset the model was trained on
        (kept in the model file), is cut into tiles with a margin wider than the network's
        receptive field (so the result equals whole-image inference, without seams), and is
        written as PNG or tiled TIFF in the model's bit depth. DICOM output is not in this build.

        Examples:
          medsr upscale --model runs/espcn-x4/model.safetensors slice.png slice_x4.png
          medsr upscale --model runs/espcn-x4 scan.dcm scan_x4.png --frame 0
          medsr upscale --model runs/espcn-x4 slide.tif region_x4.tif --level 1 --region 0,0,512,512
        """
    )

    @Option(help: "model.safetensors from medsr train (or its run folder).") var model: String
    @Argument(help: "Input image.") var input: String
    @Argument(help: "Output file (.png or .tif).") var output: String
    @Option(help: "Frame of a multi-frame image.") var frame = 0
    @Option(help: "Pyramid level of a slide.") var level = 0
    @Option(help: "Region x,y,width,height of the input.") var region: String?
    @Option(help: "LR tile side for inference.") var tile = 128
    @Option(name: .customLong("max-mb"), help: "Refuse inputs whose pixels exceed this many MiB.") var maxMB = 4096

    func validate() throws {
        if let region, Region(argument: region) == nil { throw ValidationError("--region takes x,y,width,height") }
        if tile < 16 { throw ValidationError("--tile must be at least 16") }
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        if !["png", "tif", "tiff"].contains(ext) { throw ValidationError("the output must end in .png or .tif (DICOM output is not in this build)") }
    }

    func run() throws {
        let m = try withCleanError { try SRModel(path: model) }
        var options = ReadOptions()
        options.frames = .index(frame)
        options.level = level
        options.region = region.flatMap(Region.init(argument:))
        options.forceGray = m.channels == 1
        options.maxBytes = maxMB << 20
        let image = try withCleanError { try ImageFiles.read(URL(fileURLWithPath: input), options: options) }
        var pixels = image.pixels.frame(0)
        if pixels.samplesPerPixel != m.channels {
            pixels = m.channels == 3 && pixels.samplesPerPixel >= 3 ? pixels.keepingSamples(3) : pixels
        }
        guard pixels.samplesPerPixel == m.channels else {
            report("medsr: \(input): \(pixels.samplesPerPixel) channel(s), the model takes \(m.channels)")
            throw ExitCode(1)
        }
        var intensity = Recipe.Intensity(mode: .auto)
        if let json = m.metadata["dataset_intensity"], let spec = try? JSONDecoder().decode(Recipe.Intensity.self, from: Data(json.utf8)) {
            intensity = spec
        }
        let bits = m.dataMax > 255 ? 16 : 8
        let mapped = IntensityMapper.map(pixels, rescale: image.metadata.rescale, intensity: intensity, bits: bits)
        let up = m.upscale(mapped.pixels, tile: tile)
        let url = URL(fileURLWithPath: output)
        try withCleanError {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if url.pathExtension.lowercased() == "png" { try PNGCodec.write(up, to: url) } else { try TIFFCodec.writePyramid(up, to: url) }
        }
        print("\(output): \(up.columns)×\(up.rows) (×\(m.scale) of \(pixels.columns)×\(pixels.rows)); intensity \(intensity.mode.rawValue) window \(mapped.lo)…\(mapped.hi)")
    }
}
