/// A Zarr store that cannot be read or written: what, where, and what to do, in one line.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): Zarr: \(message)" }
}
