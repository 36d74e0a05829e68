public import Foundation
public import MedDataset
import MedIO
public import MedImage

/// `medsr pairs` as a library job: every field is read, located in the low-magnification
/// image, cut into aligned LR/HR tile pairs and written into one dataset; a field that cannot
/// be used is reported through `event` and recorded in the dataset's split report, never fatal.
public struct PairsBuilder {
    /// One field's fate, for the caller's log.
    public enum Event: Sendable {
        case used(name: String, result: Registration.Result, tiles: Int)
        case skipped(path: String, reason: String)
    }

    /// What the job did.
    public struct Summary: Sendable {
        public var fields: Int
        public var used: Int
        public var skipped: Int
        public var tiles: Int
        public var splits: SplitReport?
        /// Where each used field lies in LOW (x, y, width, height), for an overlay.
        public var boxes: [(x: Int, y: Int, w: Int, h: Int)]
    }

    /// The low-magnification image (1 or 3 channels, 8 or 16 bits) and its luminance plane.
    public var low: PixelArray
    public var cutter: PairCutter
    /// Locates a field in LOW's luminance (the caller's registration settings).
    public var locate: (PixelArray, Plane) -> Registration.Result

    public init(low: PixelArray, cutter: PairCutter, locate: @escaping (PixelArray, Plane) -> Registration.Result) {
        self.low = low
        self.cutter = cutter
        self.locate = locate
    }

    /// Registers `fields` (name, file) and writes the pairs with `writer` (finished here).
    public func run(fields: [(String, URL)], writer: PairDatasetWriter, event: (Event) -> Void) throws -> Summary {
        let plane = Plane(luminanceOf: low)
        var summary = Summary(fields: fields.count, used: 0, skipped: 0, tiles: 0, splits: nil, boxes: [])
        for (name, url) in fields {
            func skip(_ why: String) throws {
                event(.skipped(path: url.path, reason: why))
                summary.skipped += 1
                try writer.skip(field: name, reason: why)
            }
            let field: PixelArray
            do {
                var p = try ImageFiles.read(url).pixels.frame(0)
                if p.samplesPerPixel == 4 { p = p.keepingSamples(3) }
                field = p
            } catch {
                try skip("\(error)".replacingOccurrences(of: url.path + ": ", with: ""))
                continue
            }
            guard field.samplesPerPixel == low.samplesPerPixel, field.sampleType == low.sampleType else {
                try skip("\(field.samplesPerPixel) channel(s) of \(field.sampleType), but LOW has \(low.samplesPerPixel) of \(low.sampleType)")
                continue
            }
            let r = locate(field, plane)
            guard r.found else { try skip("not found: \(r.reason ?? "")"); continue }
            let pairs = cutter.pairs(coarse: low, field: field, at: r)
            guard !pairs.isEmpty else {
                try skip(String(format: "found at x %.2f, y %.2f, but it covers less than one %d-pixel LR tile of LOW", r.x, r.y, cutter.tile / cutter.factor))
                continue
            }
            try writer.add(field: name, pairs: pairs.map { ($0.x, $0.y, $0.hr, $0.lr) })
            summary.boxes.append(Self.box(field, r))
            summary.used += 1
            summary.tiles += pairs.count
            event(.used(name: name, result: r, tiles: pairs.count))
        }
        summary.splits = try writer.finish()
        return summary
    }

    /// Where `field` lies in LOW's pixels.
    public static func box(_ field: PixelArray, _ r: Registration.Result) -> (x: Int, y: Int, w: Int, h: Int) {
        (Int(r.x.rounded()), Int(r.y.rounded()),
         Int((Double(field.columns) / r.scale).rounded()), Int((Double(field.rows) / r.scale).rounded()))
    }
}
