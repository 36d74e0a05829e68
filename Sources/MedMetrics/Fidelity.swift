public import MedImage
import Foundation

/// Mean squared error and PSNR. The data range is always given by the caller (12-bit data in
/// uint16 has range 4095, not 65535), never guessed from a type.
public enum Fidelity {
    /// Mean of (x − y)² over all samples, accumulated in double precision.
    /// - Throws: when the shapes differ or the planes are empty.
    public static func mse(_ x: Plane, _ y: Plane) throws -> Double {
        try checkSameShape(x, y)
        var sum = 0.0
        x.values.withUnsafeBufferPointer { a in
            y.values.withUnsafeBufferPointer { b in
                for i in 0 ..< a.count {
                    let d = Double(a[i]) - Double(b[i])
                    sum += d * d
                }
            }
        }
        return sum / Double(x.values.count)
    }

    /// 10 log10(R² / MSE) in dB; `+infinity` for identical planes (reported as such, never a crash).
    public static func psnr(_ x: Plane, _ y: Plane, dataRange: Double) throws -> Double {
        guard dataRange > 0, dataRange.isFinite else { throw MetricsError("data range must be positive, got \(dataRange)") }
        let e = try mse(x, y)
        return e == 0 ? .infinity : 10 * log10(dataRange * dataRange / e)
    }

    static func checkSameShape(_ x: Plane, _ y: Plane) throws {
        guard x.rows == y.rows, x.columns == y.columns else {
            throw MetricsError("images differ in size: \(x.columns)×\(x.rows) and \(y.columns)×\(y.rows)")
        }
        guard !x.values.isEmpty else { throw MetricsError("empty image") }
    }
}
