public import MedDataset
public import MedImage

extension DatasetEvaluator.RestorationSetup {
    /// The evaluation of restoration against `spec`: each tile degraded with `seed` (the same
    /// inputs every run), scored beside the baselines a user would otherwise reach for —
    /// unsharp mask (`sharpen`, with `sharpen`'s settings) when the chain blurs; Gaussian
    /// (σ 1 px), median (3×3) and non-local means when it adds noise. Non-local means runs as
    /// scikit-image's `denoise_nl_means(patch_size=5, patch_distance=6, h=0.8·σ, sigma=σ,
    /// fast_mode=True)`, the setting its documentation recommends, with σ the noise level the
    /// spec implies (Gaussian and Rician σ; speckle σ·0.5, at mid-grey; Poisson √(0.5/scale)).
    public static func standard(spec: String, seed: UInt64, sharpen: UnsharpMask = UnsharpMask()) throws -> Self {
        let degradation = try Degradation(parsing: spec)
        var baselines: [(name: String, apply: @Sendable ([Float], Int, Int) -> [Float])] = []
        let blurs = degradation.steps.contains { $0.isBlur }
        if blurs { baselines.append(("sharpen", planar(sharpen))) }
        if let sigma = degradation.steps.compactMap(\.noiseSigma).max() {
            baselines.append(("gaussian", planar(GaussianFilter(sigma: 1))))
            baselines.append(("median", planar(MedianFilter(size: 3))))
            baselines.append(("nlm", planar(NonLocalMeans(patchSize: 5, patchDistance: 6, h: 0.8 * sigma, sigma: sigma))))
        }
        return Self(spec: degradation.description, seed: seed, degrade: { planar, channels, side, seed in
            try Self.planes(of: degradation.apply(to: Self.planes(planar, channels: channels, side: side), seed: seed, tileIndex: 0))
        }, baselines: baselines)
    }

    static func planes(_ planar: [Float], channels: Int, side: Int) -> [Plane] {
        let n = side * side
        return (0 ..< channels).map { Plane(rows: side, columns: side, values: Array(planar[$0 * n ..< ($0 + 1) * n])) }
    }

    static func planes(of planes: [Plane]) -> [Float] { planes.flatMap(\.values) }

    static func planar(_ filter: some PlaneFilter) -> @Sendable ([Float], Int, Int) -> [Float] {
        { planar, channels, side in planes(of: planes(planar, channels: channels, side: side).map { filter.apply($0) }) }
    }
}

extension Degradation.Step {
    var isBlur: Bool {
        switch self {
        case .gaussianBlur, .defocusBlur, .motionBlur, .downUpBlur: true
        default: false
        }
    }

    /// The noise standard deviation (values in [0, 1]) a step adds, roughly, for the
    /// denoising baselines; nil for steps that add none.
    var noiseSigma: Double? {
        switch self {
        case .gaussianNoise(let s), .ricianNoise(let s): s / 255
        case .speckleNoise(let s): s * 0.5
        case .poissonNoise(let scale): (0.5 / scale).squareRoot()
        default: nil
        }
    }
}
