/// What a model maps from and to (recorded as `task` in model files).
public enum ModelTask: String, Sendable, Codable, CaseIterable {
    /// LR `[C, B, h, w]` → HR `[C, B, h·s, w·s]`.
    case superResolution = "sr"
    /// Degraded `[C, B, H, W]` → restored `[C, B, H, W]`.
    case restoration = "restore"
    /// Image `[C, B, H, W]` → logits `[K, B, 1, 1]`.
    case classification = "classify"
    /// Latent `[Z, B, 1, 1]` → image `[C, B, H, W]`.
    case generation = "generate"
    /// Image `[C, B, H, W]` → real/fake logits `[1, B, h, w]` (a critic of a generator).
    case discrimination = "discriminate"

    /// Image in, image out: the tiled inference runner applies.
    public var isImageToImage: Bool { self == .superResolution || self == .restoration }
}

/// Every network MedSR trains or runs: SR and restoration networks, classifiers, generators and
/// discriminators. Parameters (and buffers) carry PyTorch `state_dict` names, so a model file is
/// a state dict; `configuration` is what a file's metadata must record to build it again.
public protocol Model<Scalar>: AnyObject {
    associatedtype Scalar: NNScalar
    /// The registry name (`ModelRegistry`), e.g. "espcn", "unet", "resnet18".
    var architecture: String { get }
    /// What rebuilds this network: architecture, channels, scale, widths, classes…
    var configuration: ModelConfiguration { get }
    /// Every tensor of the state dict, trainable ones and buffers.
    var parameters: [Parameter<Scalar>] { get }
    func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar>
    /// Back-propagates dLoss/dOutput through the last `forward`; gradients accumulate.
    @discardableResult func backward(_ g: Tensor<Scalar>) -> Tensor<Scalar>
    /// Layers split their work over `n` workers and BLAS runs single-threaded (one level of
    /// parallelism); results do not depend on `n`.
    func setThreads(_ n: Int)
    /// Training mode (batch statistics, dropout, columns kept) or inference.
    func setTraining(_ training: Bool)
    /// Input pixels beyond a tile that influence its output (exact tiled inference of
    /// image-to-image models; 0 for the others).
    var receptiveRadius: Int { get }
    /// Image sides must be multiples of this (a U-Net with d poolings: 2^d); 1 for most.
    var sizeMultiple: Int { get }
    /// The smallest image side the network takes (strided networks shrink their input).
    var minimumInputSize: Int { get }
}

extension Model {
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }
    /// The parameters an optimiser updates (buffers excluded).
    public var trainable: [Parameter<Scalar>] { parameters.filter { !$0.isBuffer } }
    /// How many trainable values.
    public var parameterCount: Int { trainable.reduce(0) { $0 + $1.value.count } }
    public var receptiveRadius: Int { 0 }
    public var sizeMultiple: Int { 1 }
    public var minimumInputSize: Int { 1 }
}

extension Model where Scalar == Float {
    /// The model as a PyTorch `state_dict` in safetensors, with its configuration and `extra`
    /// in the metadata (what `ModelFile.load` needs to use it again).
    public func safetensors(metadata extra: [String: String] = [:]) -> [UInt8] {
        var file = SafeTensors.File()
        for p in parameters {
            file.tensors[p.name] = (p.shape, p.value)
            if p.isInteger { file.integers.insert(p.name) }
        }
        file.metadata = configuration.metadata.merging(["format": "pt"]) { _, new in new }.merging(extra) { _, new in new }
        return SafeTensors.encode(file)
    }

    /// Loads weights (and buffers) by name; every one must be present with its shape.
    public func load(_ file: SafeTensors.File, path: String) throws {
        try SafeTensors.load(parameters, from: file, path: path, what: configuration.description)
    }
}

/// What builds a network: its architecture and the sizes the registry's builder takes. Written
/// into a model file's metadata as strings and read back from it.
public struct ModelConfiguration: Sendable, Hashable, CustomStringConvertible {
    public var architecture: String
    /// Image channels in (and out, for image-to-image models and generators).
    public var channels: Int
    /// Upscaling factor of SR models; 1 otherwise.
    public var scale: Int
    /// Classes (classifiers) or 0.
    public var classes: Int
    /// Base width (feature channels of the first level), or nil for the architecture's default.
    public var width: Int?
    /// Depth (levels, layers or blocks, as the architecture defines it), or nil for the default.
    public var depth: Int?
    /// Image side the model is built for (generators, classifiers with a fixed head), or nil.
    public var size: Int?
    /// Latent vector length (generators), or nil.
    public var latent: Int?
    /// Further architecture options ("separable": "true", "norm": "instance", …).
    public var options: [String: String]

    public init(architecture: String, channels: Int = 1, scale: Int = 1, classes: Int = 0, width: Int? = nil, depth: Int? = nil,
                size: Int? = nil, latent: Int? = nil, options: [String: String] = [:]) {
        self.architecture = architecture
        self.channels = channels
        self.scale = scale
        self.classes = classes
        self.width = width
        self.depth = depth
        self.size = size
        self.latent = latent
        self.options = options
    }

    /// As model-file metadata (`architecture`, `channels`, `scale`, …; options as `option.NAME`).
    public var metadata: [String: String] {
        var m = ["architecture": architecture, "channels": String(channels), "scale": String(scale)]
        if classes > 0 { m["classes"] = String(classes) }
        if let width { m["width"] = String(width) }
        if let depth { m["depth"] = String(depth) }
        if let size { m["size"] = String(size) }
        if let latent { m["latent"] = String(latent) }
        for (k, v) in options { m["option." + k] = v }
        return m
    }

    /// Reads a configuration back from model-file metadata; nil without an architecture.
    public init?(metadata m: [String: String]) {
        guard let a = m["architecture"] else { return nil }
        self.init(architecture: a, channels: m["channels"].flatMap(Int.init) ?? 1, scale: m["scale"].flatMap(Int.init) ?? 1,
                  classes: m["classes"].flatMap(Int.init) ?? 0, width: m["width"].flatMap(Int.init), depth: m["depth"].flatMap(Int.init),
                  size: m["size"].flatMap(Int.init), latent: m["latent"].flatMap(Int.init))
        for (k, v) in m where k.hasPrefix("option.") { options[String(k.dropFirst("option.".count))] = v }
    }

    public var description: String {
        var parts = ["\(architecture)"]
        if scale > 1 { parts.append("×\(scale)") }
        parts.append("with \(channels) channel\(channels == 1 ? "" : "s")")
        if classes > 0 { parts.append("and \(classes) classes") }
        return parts.joined(separator: " ")
    }
}
