extension PixelArray {
    /// The next pyramid level: each output pixel is the rounded mean of the (up to) 2×2 input
    /// pixels it covers; odd sizes round up. Frame 0 only.
    public func halved() -> PixelArray {
        let outRows = (rows + 1) / 2, outColumns = (columns + 1) / 2, spp = samplesPerPixel
        let values = samples.floats()
        var out = [Float](repeating: 0, count: outRows * outColumns * spp)
        for r in 0 ..< outRows {
            for c in 0 ..< outColumns {
                for s in 0 ..< spp {
                    var sum: Float = 0, n: Float = 0
                    for dr in 0 ..< 2 where 2 * r + dr < rows {
                        for dc in 0 ..< 2 where 2 * c + dc < columns {
                            sum += values[((2 * r + dr) * columns + 2 * c + dc) * spp + s]
                            n += 1
                        }
                    }
                    out[(r * outColumns + c) * spp + s] = sum / n
                }
            }
        }
        let converted: Samples
        switch sampleType {
        // Means of in-range values stay in range, but Float rounding near 2^32 must not trap.
        case .uint8: converted = .uint8(out.map { UInt8(clamping: Int64($0.rounded())) })
        case .uint16: converted = .uint16(out.map { UInt16(clamping: Int64($0.rounded())) })
        case .int16: converted = .int16(out.map { Int16(clamping: Int64($0.rounded())) })
        case .uint32: converted = .uint32(out.map { UInt32(clamping: Int64($0.rounded())) })
        case .int32: converted = .int32(out.map { Int32(clamping: Int64($0.rounded())) })
        case .float32: converted = .float32(out)
        }
        return PixelArray(rows: outRows, columns: outColumns, samplesPerPixel: spp, samples: converted)
    }
}
