import Foundation

/// A filter from one plane to a plane of the same shape: the restoration baselines that
/// evaluation runs beside a model.
public protocol PlaneFilter: Sendable {
    /// A short name for tables and reports, with the parameters (e.g. `median 3`).
    var name: String { get }
    func apply(_ plane: Plane) -> Plane
}

/// A Gaussian blur: the separable kernel of `UnsharpMask.gaussian` (σ in pixels, radius ⌈3σ⌉,
/// borders `BorderMode.symmetric`), as a denoising baseline.
public struct GaussianFilter: PlaneFilter, Equatable {
    public var sigma: Double
    public init(sigma: Double) { self.sigma = sigma }
    public var name: String { "gaussian \(sigma)" }
    public func apply(_ plane: Plane) -> Plane {
        guard sigma > 0 else { return plane }
        return Plane(rows: plane.rows, columns: plane.columns,
                     values: UnsharpMask.gaussian(plane.values, rows: plane.rows, columns: plane.columns, sigma: sigma))
    }
}

extension UnsharpMask: PlaneFilter {
    public var name: String { "unsharp mask \(radius)/\(amount)/\(threshold)" }
    /// Sharpens a plane of values in [0, 1].
    public func apply(_ plane: Plane) -> Plane {
        Plane(rows: plane.rows, columns: plane.columns,
              values: apply(plane.values, rows: plane.rows, columns: plane.columns, maxValue: 1))
    }
}

/// All processors (the default thread count of the filters).
public var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }
