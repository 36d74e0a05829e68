/// A super-resolution network: LR `[C, B, h, w]` in, HR `[C, B, h·scale, w·scale]` out, with
/// parameters (and buffers) under PyTorch `state_dict` names.
public protocol SRNetwork<Scalar>: AnyObject {
    associatedtype Scalar: NNScalar
    /// "espcn", "srresnet" or "swift-srgan" (the `architecture` metadata of saved models).
    var architecture: String { get }
    var channels: Int { get }
    var scale: Int { get }
    /// Every tensor of the state dict, trainable ones and buffers.
    var parameters: [Parameter<Scalar>] { get }
    func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar>
    /// Back-propagates dLoss/dOutput through the last `forward`; gradients accumulate.
    @discardableResult func backward(_ g: Tensor<Scalar>) -> Tensor<Scalar>
    /// Layers split their work over `n` workers and BLAS runs single-threaded (one level of
    /// parallelism); results do not depend on `n`.
    func setThreads(_ n: Int)
    /// Training mode (batch statistics, columns kept) or inference (running statistics).
    func setTraining(_ training: Bool)
    /// LR pixels beyond a tile that influence its output (for exact tiled inference).
    var receptiveRadius: Int { get }
}

extension SRNetwork {
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }
    /// The parameters an optimiser updates (buffers excluded).
    public var trainable: [Parameter<Scalar>] { parameters.filter { !$0.isBuffer } }
    /// How many trainable values.
    public var parameterCount: Int { trainable.reduce(0) { $0 + $1.value.count } }
}

/// The architectures `medsr train --model` and saved models name.
public enum SRArchitecture: String, Sendable, CaseIterable {
    case espcn, srresnet, swiftSRGAN = "swift-srgan"

    /// A freshly initialised network (PyTorch's default initialisation, drawn from `rng`).
    public func make<T: NNScalar>(channels: Int, scale: Int, rng: inout some RandomNumberGenerator) -> any SRNetwork<T> {
        switch self {
        case .espcn: return ESPCN<T>(channels: channels, scale: scale, rng: &rng)
        case .srresnet: return SRResNet<T>(channels: channels, scale: scale, separable: false, rng: &rng)
        case .swiftSRGAN: return SRResNet<T>(channels: channels, scale: scale, separable: true, rng: &rng)
        }
    }

    public var scales: [Int] { self == .espcn ? [2, 3, 4] : [2, 3, 4, 8] }
}
