/// A trainable tensor with its gradient, under its PyTorch `state_dict` name and shape.
public final class Parameter<T: NNScalar>: @unchecked Sendable {
    // A parameter belongs to one model, used by one thread at a time.
    public let name: String
    public let shape: [Int]
    public var value: [T]
    public var gradient: [T]
    /// A buffer (batch norm's running statistics): saved with the weights, never trained.
    public let isBuffer: Bool
    /// Stored as a 64-bit integer in the state dict (`num_batches_tracked`).
    public let isInteger: Bool

    public init(name: String, shape: [Int], value: [T], buffer: Bool = false, integer: Bool = false) {
        precondition(value.count == shape.reduce(1, *))
        self.name = name
        self.shape = shape
        self.value = value
        isBuffer = buffer
        isInteger = integer
        gradient = Array(repeating: 0, count: value.count)
    }

    public func zeroGradient() {
        gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

/// Anything with parameters, forward and backward.
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: NNScalar
    var parameters: [Parameter<Scalar>] { get }
    /// Computes the output and keeps what `backward` needs.
    func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar>
    /// Given dLoss/dOutput, accumulates parameter gradients and returns dLoss/dInput.
    func backward(_ gradOutput: Tensor<Scalar>) -> Tensor<Scalar>
    /// Worker threads for layers with their own parallelism (BLAS then runs single-threaded).
    func setWorkers(_ n: Int)
    /// Training (batch statistics, columns kept for backward) or inference.
    func setTraining(_ training: Bool)
}

extension Layer {
    public func setWorkers(_ n: Int) {}
    public func setTraining(_ training: Bool) {}
}
