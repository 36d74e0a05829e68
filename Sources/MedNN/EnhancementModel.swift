public import Foundation
public import MedImage

/// A trained image-to-image model as a file: a super-resolution network (scale > 1) or a
/// restoration network (scale 1), its channels, and the value range its inputs were divided by.
/// Loads what `medsr train` writes and what PyTorch writes with
/// `safetensors.torch.save_file(model.state_dict(), …)` (then give the metadata).
public final class EnhancementModel: @unchecked Sendable {
    // Inference runs the network's layers, which keep per-call caches: one thread at a time.
    public let configuration: ModelConfiguration
    /// Inputs are divided by this (255 for 8-bit tiles, 65535 for 16-bit).
    public let dataMax: Double
    public let metadata: [String: String]
    let network: any Model<Float>
    private let lock = NSLock()

    public var architecture: String { configuration.architecture }
    public var scale: Int { configuration.scale }
    public var channels: Int { configuration.channels }
    /// `sr` or `restore`.
    public var task: ModelTask { scale > 1 ? .superResolution : (ModelTask(rawValue: metadata["task"] ?? "") ?? .restoration) }

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var path: String, message: String
        public var description: String { "\(path): model: \(message)" }
    }

    public init(network: any Model<Float>, dataMax: Double, metadata: [String: String] = [:]) {
        self.network = network
        network.setTraining(false)
        network.setThreads(ProcessInfo.processInfo.activeProcessorCount)
        configuration = network.configuration
        self.dataMax = dataMax
        self.metadata = metadata
    }

    /// Loads a `.safetensors` model, or `model.safetensors` inside a run folder.
    /// - Parameters: `scale`, `channels` override missing metadata (PyTorch files; ESPCN is
    ///   assumed without an `architecture`).
    public convenience init(path: String, scale: Int? = nil, channels: Int? = nil, dataMax: Double? = nil) throws {
        let (file, url) = try ModelFile.read(path)
        let meta = file.metadata
        let name = meta["architecture"] ?? "espcn"
        let arch: any Architecture
        do { arch = try ModelRegistry.architecture(name) } catch { throw LoadError(path: url.path, message: "\(error)") }
        guard arch.task.isImageToImage else {
            throw LoadError(path: url.path, message: "a \(arch.task.rawValue) model (\(name)), not a super-resolution or restoration model")
        }
        let s = scale ?? meta["scale"].flatMap(Int.init) ?? (arch.task == .restoration ? 1 : nil)
        guard let s, arch.scales.contains(s) else {
            throw LoadError(path: url.path, message: "no usable scale in the metadata; pass --scale (\(name): \(arch.scales.map(String.init).joined(separator: ", ")))")
        }
        // Without metadata, the input channels are read off the first convolution's weight.
        let inferred = file.tensors["conv1.weight"]?.shape[1] ?? file.tensors["initial.cnn.weight"]?.shape[1]
            ?? file.tensors["initial.cnn.depthwise.weight"]?.shape[0]
        var config = ModelConfiguration(metadata: meta) ?? ModelConfiguration(architecture: name)
        config.architecture = name
        config.scale = s
        config.channels = channels ?? meta["channels"].flatMap(Int.init) ?? inferred ?? 1
        var rng = SystemRandomNumberGenerator()
        let network: any Model<Float>
        do { network = try ModelRegistry.make(config, rng: &rng) } catch { throw LoadError(path: url.path, message: "\(error)") }
        try network.load(file, path: url.path)
        // Trained as a residual to bicubic: the file holds the plain network's state dict.
        let model: any Model<Float> = meta["residual"] == "bicubic" ? BicubicResidual(network) : network
        self.init(network: model, dataMax: dataMax ?? meta["data_max"].flatMap(Double.init) ?? 255, metadata: meta)
    }

    /// Runs the network on values already divided by `dataMax` (`[C, B, H, W]`).
    public func run(_ x: Tensor<Float>) -> Tensor<Float> {
        lock.lock()
        defer { lock.unlock() }
        return network.forward(x)
    }

    /// Runs the model over a single-frame image of `channels` samples per pixel (stored values,
    /// uint8 or uint16 in `dataMax` units), tile by tile: each tile is computed with a margin of
    /// real context wider than the network's receptive field and only its centre is kept, so
    /// the result equals whole-image inference exactly while memory stays bounded.
    /// - Returns: the image `scale` times larger (same size for restoration), in the input's
    ///   sample type.
    public func enhance(_ pixels: PixelArray, tile: Int? = nil) -> PixelArray {
        precondition(pixels.samplesPerPixel == channels && pixels.frames == 1)
        let rows = pixels.rows, cols = pixels.columns, s = scale, c = channels
        let margin = network.receptiveRadius + 2
        // Tiles several times the margin keep the recomputed border a small share of the work.
        let tile = tile ?? max(128, 4 * margin)
        let values = pixels.samples.floats()
        var out = [Float](repeating: 0, count: rows * s * cols * s * c)
        let scaleIn = Float(1 / dataMax)
        for y0 in Swift.stride(from: 0, to: rows, by: tile) {
            for x0 in Swift.stride(from: 0, to: cols, by: tile) {
                let th = min(tile, rows - y0), tw = min(tile, cols - x0)
                let ry0 = max(0, y0 - margin), rx0 = max(0, x0 - margin)
                let ry1 = min(rows, y0 + th + margin), rx1 = min(cols, x0 + tw + margin)
                let h = ry1 - ry0, w = rx1 - rx0
                // Networks that need sides of a multiple (a U-Net's poolings) get the tile
                // extended by repeating its last row and column; the extension is cropped away.
                let m = network.sizeMultiple
                let ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m
                var input = Tensor<Float>(channels: c, batch: 1, rows: ph, columns: pw)
                for ch in 0 ..< c { for yy in 0 ..< ph { for xx in 0 ..< pw {
                    let from: Int = ((ry0 + min(yy, h - 1)) * cols + rx0 + min(xx, w - 1)) * c + ch
                    let to: Int = (ch * ph + yy) * pw + xx
                    input.data[to] = values[from] * scaleIn
                } } }
                let y = run(input)
                for ch in 0 ..< c {
                    for yy in (y0 - ry0) * s ..< (y0 - ry0 + th) * s {
                        for xx in (x0 - rx0) * s ..< (x0 - rx0 + tw) * s {
                            let oy: Int = ry0 * s + yy, ox: Int = rx0 * s + xx
                            let to: Int = (oy * cols * s + ox) * c + ch
                            let from: Int = (ch * y.rows + yy) * y.columns + xx
                            out[to] = y.data[from]
                        }
                    }
                }
            }
        }
        let top = Float(dataMax)
        let samples: Samples = pixels.sampleType == .uint16
            ? .uint16(out.map { UInt16(min(max(($0 * top).rounded(), 0), 65535)) })
            : .uint8(out.map { UInt8(min(max(($0 * top).rounded(), 0), 255)) })
        return PixelArray(rows: rows * s, columns: cols * s, samplesPerPixel: c, samples: samples)
    }
}

/// Model files: a `.safetensors` file, or a run folder holding `model.safetensors`.
public enum ModelFile {
    /// The decoded file and the URL it was read from.
    public static func read(_ path: String) throws -> (SafeTensors.File, URL) {
        var url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("model.safetensors")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EnhancementModel.LoadError(path: url.path, message: "missing or unreadable")
        }
        return (try SafeTensors.decode([UInt8](data), path: url.path), url)
    }
}
