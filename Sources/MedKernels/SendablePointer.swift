/// A pointer handed to worker threads that write disjoint parts of one buffer.
@frozen
public struct SendablePointer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    @inlinable public init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

/// A read-only pointer handed to worker threads.
@frozen
public struct SendableConstPointer<T>: @unchecked Sendable {
    public let pointer: UnsafePointer<T>
    @inlinable public init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
}
