/// One network the registry can build: its name, task, a line for `--help`, and a builder.
/// A new network is one file (the model and its `Architecture`) plus one line in
/// `ModelRegistry.architectures`; the trainer, the model files and the CLI find it there.
public protocol Architecture: Sendable {
    /// The registry name, also the `architecture` metadata of model files.
    var name: String { get }
    var task: ModelTask { get }
    /// One line for `--help` listings (what it is, where it comes from, its size).
    var summary: String { get }
    /// Upscaling factors (SR architectures); [1] for the others.
    var scales: [Int] { get }
    /// Throws a one-line reason when `configuration` cannot be built (before any work).
    func check(_ configuration: ModelConfiguration) throws
    /// A freshly initialised network (PyTorch's default initialisation, drawn from `rng`).
    func make<T: NNScalar>(_ configuration: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T>
}

extension Architecture {
    public var scales: [Int] { [1] }
    public func check(_ configuration: ModelConfiguration) throws {
        guard scales.contains(configuration.scale) else {
            throw ModelRegistry.RegistryError(message: "\(name) scales are \(scales.map(String.init).joined(separator: ", ")), not \(configuration.scale)")
        }
    }
}

/// Every architecture MedSR knows, by name.
public enum ModelRegistry {
    /// The architectures, in `--help` order.
    public static let architectures: [any Architecture] = [
        ESPCNArchitecture(), SRResNetArchitecture(separable: false), SRResNetArchitecture(separable: true),
        SRGANDiscriminatorArchitecture(separable: false), SRGANDiscriminatorArchitecture(separable: true),
        ResNetArchitecture(depth: 18), ResNetArchitecture(depth: 34), DenseNetArchitecture(), SmallCNNArchitecture(),
        UNetArchitecture(), DnCNNArchitecture(), DenoisingAutoencoderArchitecture(), PatchGANArchitecture(),
    ]

    public struct RegistryError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// The architecture called `name`, or an error listing the known ones (of `task`, if given).
    public static func architecture(_ name: String, task: ModelTask? = nil) throws -> any Architecture {
        if let a = architectures.first(where: { $0.name == name }), task == nil || a.task == task { return a }
        let known = names(task: task)
        throw RegistryError(message: "architecture '\(name)' is unknown\(task.map { " for task \($0.rawValue)" } ?? "") (known: \(known.joined(separator: ", ")))")
    }

    public static func names(task: ModelTask? = nil) -> [String] {
        architectures.filter { task == nil || $0.task == task }.map(\.name)
    }

    /// Checks and builds `configuration`'s network.
    public static func make<T: NNScalar>(_ configuration: ModelConfiguration, rng: inout some RandomNumberGenerator) throws -> any Model<T> {
        let a = try architecture(configuration.architecture)
        try a.check(configuration)
        return a.make(configuration, rng: &rng)
    }
}
