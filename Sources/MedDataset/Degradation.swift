/// A degradation: a chain of blur, noise and compression steps turning a clean tile into the
/// input a restoration model learns to undo, named by a spec string that model files record.
///
/// Specs (numbers are decimals; steps joined by `+` run left to right):
/// - `blur:gaussian:σ` — Gaussian, σ in pixels (`BlurKernel.gaussian`);
/// - `blur:defocus:r` — uniform disk of radius r pixels (`BlurKernel.disk`);
/// - `blur:motion:len:angle` — line of len pixels at angle degrees counter-clockwise from the
///   column axis (`BlurKernel.motion`);
/// - `blur:downup:f` — shrink by f (> 1) and enlarge back with MedSR's bicubic (`Resample.bicubic`,
///   Pillow's), the microscopy study's blurry inputs;
/// - `noise:gaussian:σ` — x + n, n ~ N(0, (σ/255)²): σ in 8-bit levels;
/// - `noise:poisson:scale` — Poisson(x · scale) / scale (low dose: scale photons at x = 1);
/// - `noise:rician:σ` — √((x + n₁)² + n₂²), n₁, n₂ ~ N(0, (σ/255)²) (MR magnitude), σ in 8-bit levels;
/// - `noise:speckle:σ` — x + x · n, n ~ N(0, σ²), σ relative (unitless);
/// - `jpeg:q` — a libjpeg-turbo round trip at quality q (1…100) of the 8-bit rounding of x.
///
/// Planes are `Float` values in [0, 1] (MedSR's tile values divided by their maximum); every
/// noise step clips its result to [0, 1], blurs keep the range by construction (their weights
/// are non-negative), and the bicubic of `downup` is clipped too (its overshoot would leave it).
public struct Degradation: Sendable, Hashable, CustomStringConvertible {
    /// One step of a chain.
    public enum Step: Sendable, Hashable {
        case gaussianBlur(sigma: Double)
        case defocusBlur(radius: Double)
        case motionBlur(length: Double, angleDegrees: Double)
        case downUpBlur(factor: Double)
        /// σ in 8-bit levels.
        case gaussianNoise(sigma: Double)
        case poissonNoise(scale: Double)
        /// σ in 8-bit levels.
        case ricianNoise(sigma: Double)
        /// σ relative.
        case speckleNoise(sigma: Double)
        case jpeg(quality: Int)
    }

    public var steps: [Step]

    /// - Precondition: at least one step (an empty chain has no spec).
    public init(steps: [Step]) {
        precondition(!steps.isEmpty, "a degradation has at least one step")
        self.steps = steps
    }

    /// The forms `Degradation(parsing:)` accepts, for messages and `--help`.
    public static let forms = "blur:gaussian:SIGMA, blur:defocus:RADIUS, blur:motion:LENGTH:ANGLE, blur:downup:FACTOR, "
        + "noise:gaussian:SIGMA, noise:poisson:SCALE, noise:rician:SIGMA, noise:speckle:SIGMA, jpeg:QUALITY, "
        + "joined by '+' (e.g. blur:gaussian:1.5+noise:gaussian:5)"

    /// Parses a spec such as `blur:gaussian:1.5+noise:gaussian:5`.
    /// - Throws: `DegradationError` naming the step that is wrong and listing the forms.
    public init(parsing spec: String) throws {
        let parts = spec.split(separator: "+", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
        guard !spec.trimmingWhitespace().isEmpty else { throw DegradationError(spec: spec, "the spec is empty") }
        var steps = [Step]()
        for part in parts { steps.append(try Self.step(part, in: spec)) }
        self.init(steps: steps)
    }

    /// The canonical spec: `Degradation(parsing: d.description) == d`.
    public var description: String { steps.map(\.spec).joined(separator: "+") }

    private static func step(_ text: String, in spec: String) throws -> Step {
        let f = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number(_ i: Int, _ what: String, _ ok: (Double) -> Bool, _ rule: String) throws -> Double {
            guard let v = Double(f[i]), v.isFinite else {
                throw DegradationError(spec: spec, "in '\(text)', \(what) '\(f[i])' is not a number")
            }
            guard ok(v) else { throw DegradationError(spec: spec, "in '\(text)', \(what) must be \(rule)") }
            return v
        }
        let positive: (Double) -> Bool = { $0 > 0 }, nonNegative: (Double) -> Bool = { $0 >= 0 }
        switch (f.first ?? "", f.count > 1 ? f[1] : "", f.count) {
        case ("blur", "gaussian", 3): return .gaussianBlur(sigma: try number(2, "sigma", positive, "> 0"))
        case ("blur", "defocus", 3): return .defocusBlur(radius: try number(2, "radius", positive, "> 0"))
        case ("blur", "motion", 4):
            return .motionBlur(length: try number(2, "length", positive, "> 0"),
                               angleDegrees: try number(3, "angle", { _ in true }, "a number"))
        case ("blur", "downup", 3): return .downUpBlur(factor: try number(2, "factor", { $0 > 1 }, "> 1"))
        case ("noise", "gaussian", 3): return .gaussianNoise(sigma: try number(2, "sigma", nonNegative, "≥ 0"))
        case ("noise", "poisson", 3): return .poissonNoise(scale: try number(2, "scale", positive, "> 0"))
        case ("noise", "rician", 3): return .ricianNoise(sigma: try number(2, "sigma", nonNegative, "≥ 0"))
        case ("noise", "speckle", 3): return .speckleNoise(sigma: try number(2, "sigma", nonNegative, "≥ 0"))
        case ("jpeg", _, 2):
            guard let q = Int(f[1]), (1 ... 100).contains(q) else {
                throw DegradationError(spec: spec, "in '\(text)', the JPEG quality must be a whole number from 1 to 100")
            }
            return .jpeg(quality: q)
        default:
            throw DegradationError(spec: spec, text.isEmpty ? "a step is empty (two '+' in a row?)" : "'\(text)' is not a degradation")
        }
    }
}

extension Degradation.Step {
    /// The step's canonical spec.
    public var spec: String {
        func n(_ v: Double) -> String {
            v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        }
        switch self {
        case .gaussianBlur(let s): return "blur:gaussian:\(n(s))"
        case .defocusBlur(let r): return "blur:defocus:\(n(r))"
        case .motionBlur(let l, let a): return "blur:motion:\(n(l)):\(n(a))"
        case .downUpBlur(let f): return "blur:downup:\(n(f))"
        case .gaussianNoise(let s): return "noise:gaussian:\(n(s))"
        case .poissonNoise(let s): return "noise:poisson:\(n(s))"
        case .ricianNoise(let s): return "noise:rician:\(n(s))"
        case .speckleNoise(let s): return "noise:speckle:\(n(s))"
        case .jpeg(let q): return "jpeg:\(q)"
        }
    }
}

/// A degradation spec that cannot be parsed: which part is wrong, and the forms that work.
public struct DegradationError: Error, CustomStringConvertible, Sendable {
    public var spec: String
    public var message: String
    public init(spec: String, _ message: String) {
        self.spec = spec
        self.message = message
    }

    public var description: String { "degradation '\(spec)': \(message); the forms are \(Degradation.forms)" }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
