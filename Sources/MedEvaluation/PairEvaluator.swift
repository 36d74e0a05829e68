public import Foundation
import MedIO
import MedImage
import MedKernels
import MedMetrics

/// Scores plain image files: every file under `predictions` against the file of the same
/// name (any extension, same relative folder) under `references`, with an optional mask of
/// the same name under `masks` (nonzero = inside).
public struct PairEvaluator: Sendable {
    public var predictions: URL
    public var references: URL
    public var masks: URL?
    /// The data range R; nil is allowed only when every image is 8-bit (R = 255) or a DICOM
    /// file states Bits Stored (R = 2^bits − 1). Never guessed from a 16-bit type.
    public var dataRange: Double?
    public var luminance = true
    public var wholeWindows = false

    public init(predictions: URL, references: URL) {
        self.predictions = predictions
        self.references = references
    }

    /// Files decoded and scored at once (one per thread; each file's SSIM runs on one thread).
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Results in name order and the files that could not be scored (name, reason). Files are
    /// decoded and scored `threads` at a time; the output is the same for any thread count.
    public func run() throws -> (results: [TileResult], failed: [(String, String)], dataRange: Double) {
        let predicted = ImageFiles.files(under: predictions)
        guard !predicted.isEmpty else { throw MetricsError("\(predictions.path): no files to evaluate") }
        let refIndex = Self.index(references), maskIndex = masks.map(Self.index) ?? [:]
        var outcomes = [Outcome?](repeating: nil, count: predicted.count)
        outcomes.withUnsafeMutableBufferPointer { out in
            parallelFor(predicted.count, workers: threads) { i, _ in
                let key = Self.key(predicted[i], root: predictions)
                do {
                    out[i] = .scored(key, try score(predicted[i], key: key, refIndex: refIndex, maskIndex: maskIndex))
                } catch {
                    out[i] = .failed(key, String(describing: error))
                }
            }
        }
        var results = [TileResult](), failed = [(String, String)]()
        var usedRange: Double?
        for case let outcome? in outcomes {
            switch outcome {
            case .scored(let key, let (score, range)):
                usedRange = usedRange ?? range
                results.append(TileResult(name: key, split: "", index: results.count, label: "", methods: ["prediction"],
                                          scores: ["prediction": score], referenceInMask: nil, inMask: [:], maskFraction: 0))
            case .failed(let key, let reason):
                failed.append((key, reason))
            }
        }
        return (results, failed, usedRange ?? dataRange ?? .nan)
    }

    enum Outcome {
        case scored(String, (Score, Double))
        case failed(String, String)
    }

    /// One file against its reference (and mask): the score and the data range used.
    func score(_ file: URL, key: String, refIndex: [String: URL], maskIndex: [String: URL]) throws -> (Score, Double) {
        guard let refURL = refIndex[key] else { throw MetricsError("no reference named \(key).* under \(references.path)") }
        let pred = try ImageFiles.read(file), ref = try ImageFiles.read(refURL)
        guard pred.pixels.rows == ref.pixels.rows, pred.pixels.columns == ref.pixels.columns else {
            throw MetricsError("sizes differ: \(pred.pixels.columns)×\(pred.pixels.rows) vs reference \(ref.pixels.columns)×\(ref.pixels.rows)")
        }
        let range = try dataRange ?? Self.range(pred, ref)
        var mask: [UInt8]?
        if masks != nil {
            guard let m = maskIndex[key] else { throw MetricsError("no mask named \(key).*") }
            let mi = try ImageFiles.read(m)
            guard mi.pixels.rows == ref.pixels.rows, mi.pixels.columns == ref.pixels.columns else {
                throw MetricsError("mask is \(mi.pixels.columns)×\(mi.pixels.rows), the images \(ref.pixels.columns)×\(ref.pixels.rows)")
            }
            mask = Self.inside(mi.pixels)
        }
        let score = try Scoring.score(reference: MetricPlanes.planes(ref.pixels, luminance: luminance),
                                      candidate: MetricPlanes.planes(pred.pixels, luminance: luminance),
                                      dataRange: range, mask: mask, wholeWindows: wholeWindows)
        return (score, range)
    }

    /// 1 where the mask's first channel is nonzero, else 0.
    static func inside(_ p: PixelArray) -> [UInt8] {
        let spp = p.samplesPerPixel, n = p.rows * p.columns
        if case .uint8(let v) = p.frame(0).samples {
            return v.withUnsafeBufferPointer { b in (0 ..< n).map { b[$0 * spp] != 0 ? 1 : 0 } }
        }
        let v = p.frame(0).samples.floats()
        return v.withUnsafeBufferPointer { b in (0 ..< n).map { b[$0 * spp] != 0 ? 1 : 0 } }
    }

    static func key(_ url: URL, root: URL) -> String {
        let base = root.standardizedFileURL.path, path = url.deletingPathExtension().standardizedFileURL.path
        return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : url.deletingPathExtension().lastPathComponent
    }

    static func index(_ root: URL) -> [String: URL] {
        var out = [String: URL]()
        for url in ImageFiles.files(under: root) { out[key(url, root: root)] = out[key(url, root: root)] ?? url }
        return out
    }

    static func range(_ a: MedicalImage, _ b: MedicalImage) throws -> Double {
        if a.pixels.sampleType == .uint8 && b.pixels.sampleType == .uint8 { return 255 }
        if let bits = b.metadata.bitsStored ?? a.metadata.bitsStored, a.metadata.format == "DICOM" || b.metadata.format == "DICOM" {
            return pow(2, Double(bits)) - 1
        }
        throw MetricsError("\(b.pixels.sampleType.rawValue) images: give --data-range (e.g. 4095 for 12-bit data); it is never guessed from the type")
    }
}
