/// Channel concatenation for skip connections (PyTorch `torch.cat([a, b], dim=1)`). In the
/// `[C, B, H, W]` layout a tensor's channels are consecutive blocks of `B·H·W` values, so
/// concatenating is appending the blocks and the gradient splits back by slicing.

/// The tensors' channels one after another (all of one batch size and plane size).
public func concatChannels<T: NNScalar>(_ parts: [Tensor<T>]) -> Tensor<T> {
    precondition(!parts.isEmpty, "concat: nothing to concatenate")
    let first = parts[0]
    for p in parts {
        precondition(p.batch == first.batch && p.rows == first.rows && p.columns == first.columns,
                     "concat: shapes differ (\(p.batch)×\(p.rows)×\(p.columns) and \(first.batch)×\(first.rows)×\(first.columns))")
    }
    var out = Tensor<T>(uninitializedChannels: parts.reduce(0) { $0 + $1.channels }, batch: first.batch, rows: first.rows,
                        columns: first.columns)
    out.data.withUnsafeMutableBufferPointer { o in
        var at = o.baseAddress!
        for p in parts {
            p.data.withUnsafeBufferPointer { at.update(from: $0.baseAddress!, count: $0.count) }
            at += p.count
        }
    }
    return out
}

/// `t` split into consecutive groups of `channels[i]` channels (the gradient of `concatChannels`).
public func splitChannels<T: NNScalar>(_ t: Tensor<T>, _ channels: [Int]) -> [Tensor<T>] {
    precondition(channels.reduce(0, +) == t.channels && channels.allSatisfy { $0 > 0 },
                 "split: channel counts \(channels) do not add up to \(t.channels)")
    let block = t.batch * t.plane
    var start = 0
    return channels.map { c in
        defer { start += c * block }
        return Tensor(channels: c, batch: t.batch, rows: t.rows, columns: t.columns, data: Array(t.data[start ..< start + c * block]))
    }
}
