import Foundation
public import MedMetrics

/// The scores of one evaluated image or tile, for every method.
public struct TileResult: Sendable {
    /// `split/index` for dataset tiles, the relative file name for plain pairs.
    public var name: String
    public var split: String
    public var index: Int
    public var label: String
    /// Methods in report order (`bicubic`, `sharpen`, `model`, or `prediction` for plain pairs).
    public var methods: [String]
    public var scores: [String: Score]
    /// Mean and std of intensity inside the mask, in source units (HU for CT): the reference
    /// first, then per method.
    public var referenceInMask: (mean: Double, std: Double)?
    public var inMask: [String: (mean: Double, std: Double)]
    public var maskFraction: Double
    /// The source file the tile was cut from (relative path, as in tiles.csv); "" when unknown.
    public var source: String
    /// The patient's pseudonym (keyed hash, as in tiles.csv); "" when unknown. Intervals are
    /// bootstrapped by patient.
    public var patient: String

    public init(name: String, split: String, index: Int, label: String, methods: [String], scores: [String: Score],
                referenceInMask: (mean: Double, std: Double)?, inMask: [String: (mean: Double, std: Double)], maskFraction: Double,
                source: String = "", patient: String = "") {
        self.source = source
        self.patient = patient
        self.name = name
        self.split = split
        self.index = index
        self.label = label
        self.methods = methods
        self.scores = scores
        self.referenceInMask = referenceInMask
        self.inMask = inMask
        self.maskFraction = maskFraction
    }
}

extension TileResult {
    /// The CSV header of `medsr evaluate --csv`.
    public static let csvHeader = "name,method,psnr,ssim,mse,ssim_mask,ssim_background"

    static func number(_ v: Double?) -> String {
        guard let v else { return "" }
        if v.isNaN { return "" }
        if v == .infinity { return "inf" }
        return String(format: "%.6f", v)
    }

    /// One CSV row per method (`method` column omitted when `withMethod` is false).
    public func csvRows(withMethod: Bool = true) -> [String] {
        methods.compactMap { m in
            guard let s = scores[m] else { return nil }
            let fields = [name] + (withMethod ? [m] : []) + [
                Self.number(s.psnr), Self.number(s.ssim), Self.number(s.mse),
                Self.number(s.ssimMask?.value), Self.number(s.ssimBackground?.value),
            ]
            return fields.map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ",")
        }
    }
}
