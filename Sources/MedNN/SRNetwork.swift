/// A super-resolution network: LR `[C, B, h, w]` in, HR `[C, B, h·scale, w·scale]` out.
public protocol SRNetwork<Scalar>: Model {
    var channels: Int { get }
    var scale: Int { get }
}

extension SRNetwork {
    public var configuration: ModelConfiguration {
        ModelConfiguration(architecture: architecture, channels: channels, scale: scale)
    }
}
