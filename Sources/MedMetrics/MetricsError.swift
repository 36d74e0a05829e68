/// A metric that cannot be computed on these inputs: what and why, in one line.
public struct MetricsError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "metrics: \(message)" }
}
