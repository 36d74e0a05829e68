import Foundation

extension Loss {
    /// The Charbonnier loss, mean of √((prediction − target)² + ε²) over every element (a
    /// differentiable L1; Charbonnier et al. 1994, as LapSRN, Lai et al. 2017, uses it). The
    /// gradient is d / √(d² + ε²) / n, so it is defined everywhere; ε > 0.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func charbonnier<T: NNScalar>(_ prediction: Tensor<T>, _ target: Tensor<T>, epsilon: Double = 1e-3)
        -> (value: Double, gradient: Tensor<T>) {
        precondition(prediction.count == target.count, "charbonnier: prediction and target differ in size")
        precondition(epsilon > 0, "charbonnier: epsilon must be positive")
        var g = prediction
        let n = Double(prediction.count), e2 = epsilon * epsilon
        var sum = 0.0
        prediction.data.withUnsafeBufferPointer { p in
            target.data.withUnsafeBufferPointer { t in
                g.data.withUnsafeMutableBufferPointer { gs in
                    for i in 0 ..< gs.count {
                        let d = Double(p[i]) - Double(t[i]), r = (d * d + e2).squareRoot()
                        sum += r
                        gs[i] = T(d / r / n)
                    }
                }
            }
        }
        return (sum / n, g)
    }
}
