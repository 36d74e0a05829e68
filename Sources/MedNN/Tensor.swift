/// A batch of feature maps, stored channel-major across the batch: `[channels, batch, rows,
/// columns]`, so a convolution over the whole batch is one GEMM whose output is already laid
/// out for the next layer. `nchw`/`init(nchw:)` convert to and from PyTorch's layout.
public struct Tensor<T: NNScalar>: Sendable, Equatable {
    public var channels: Int
    public var batch: Int
    public var rows: Int
    public var columns: Int
    public var data: [T]

    public init(channels: Int, batch: Int, rows: Int, columns: Int, data: [T]? = nil) {
        self.init(uninitializedChannels: channels, batch: batch, rows: rows, columns: columns)
        let n = self.data.count
        if let data { precondition(data.count == n, "tensor data has \(data.count) values, shape needs \(n)") }
        self.data = data ?? Array(repeating: 0, count: n)
    }

    /// A tensor whose values the caller writes, every one, before reading any.
    init(uninitializedChannels channels: Int, batch: Int, rows: Int, columns: Int) {
        precondition(channels > 0 && batch > 0 && rows > 0 && columns > 0)
        self.channels = channels
        self.batch = batch
        self.rows = rows
        self.columns = columns
        let n = channels * batch * rows * columns
        data = Array(unsafeUninitializedCapacity: n) { _, count in count = n }
    }

    public var count: Int { data.count }
    public var plane: Int { rows * columns }

    /// From PyTorch's NCHW order.
    public init(nchw values: [T], batch: Int, channels: Int, rows: Int, columns: Int) {
        self.init(channels: channels, batch: batch, rows: rows, columns: columns)
        let p = rows * columns
        for b in 0 ..< batch { for c in 0 ..< channels {
            for i in 0 ..< p { data[(c * batch + b) * p + i] = values[(b * channels + c) * p + i] }
        } }
    }

    /// In PyTorch's NCHW order.
    public var nchw: [T] {
        var out = [T](repeating: 0, count: count)
        let p = plane
        for b in 0 ..< batch { for c in 0 ..< channels {
            for i in 0 ..< p { out[(b * channels + c) * p + i] = data[(c * batch + b) * p + i] }
        } }
        return out
    }
}
