import ArgumentParser
import Foundation
import MedIO
import MedImage
import MedRegistration

/// How the field's magnification relative to LOW is given (register and pairs).
struct ScaleOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Magnification ratio (e.g. 10 for 4x → 40x).") var scale: Double?
    @Option(name: .customLong("scale-range"), parsing: .unconditional, help: "Search scales MIN:MAX (steps of 2%), since nominal objectives are not exact.")
    var scaleRange: String?
    @Option(parsing: .unconditional, help: "Pyramid level of LOW to use (a slide).") var level = 0

    func range() -> ClosedRange<Double>? {
        guard let scaleRange else { return nil }
        let p = scaleRange.split(separator: ":").compactMap { Double($0) }
        return p.count == 2 && p[0] > 0 && p[0] <= p[1] ? p[0] ... p[1] : nil
    }

    func validate() throws {
        if scale == nil && scaleRange == nil { throw ValidationError("give --scale S or --scale-range MIN:MAX") }
        if scaleRange != nil && range() == nil { throw ValidationError("--scale-range takes MIN:MAX with 0 < MIN ≤ MAX") }
        if let scale, !(scale > 0) { throw ValidationError("--scale must be positive") }
        if level < 0 { throw ValidationError("--level must be 0 or more") }
    }

    /// The nominal ratio: --scale, or the middle of --scale-range.
    var nominal: Double { scale ?? range().map { ($0.lowerBound + $0.upperBound) / 2 } ?? 1 }

    func readLow(_ path: String) throws -> MedicalImage {
        var options = ReadOptions()
        options.level = level
        return try ImageFiles.read(URL(fileURLWithPath: path), options: options)
    }

    func locate(_ field: PixelArray, in image: Plane) -> Registration.Result {
        let plane = Plane(luminanceOf: field)
        return range().map { Registration().locate(field: plane, in: image, scaleRange: $0) }
            ?? Registration().locate(field: plane, in: image, scale: scale!)
    }
}

struct Register: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find where a high-magnification field lies in a low-magnification image.",
        discussion: """
        Zero-normalised cross-correlation on luminance, coarse to fine: the field is reduced by \
        --scale, both images are reduced into pyramids, the coarsest level is searched everywhere, \
        its best separated peaks are refined level by level, and the best is fitted to sub-pixel. \
        The position is the field's top-left corner in LOW's pixels.

        "Found" is not a correlation threshold (unrelated images reach 0.8 on shading alone): at \
        each of the four finest levels the correlation of the field's fine detail with the \
        image's detail at the peak is compared with the same correlation at 32 other positions \
        of the image, as a z-score. The field is found when two adjacent levels agree (each z ≥ \
        2) and together reach z 8 ((z₁ + z₂)/√2); otherwise, or when the field is flat, it is \
        reported as not found (exit status 1), never placed at a guess. --json gives the \
        evidence: "z" and the "deciding_levels" it comes from, the per-level \
        "levels" (detail_peak, detail_mean, detail_deviation, samples, z), the winner's \
        correlation per level ("scores_by_level", coarsest first), the best other candidate's \
        ("runner_up_score") and the coarsest surface's peak, second separated peak, mean and \
        deviation ("coarse"). --scale 1 registers two images of the same scale (a translation).

        Examples:
          medsr register slide_4x.tif field_40x.png --scale 10 --json
          medsr register slide_4x.tif field_40x.png --scale-range 8:12 --overlay check.png
          medsr register fixed.png moving.png --scale 1
        """
    )

    @Argument(help: "The low-magnification image.") var low: String
    @Argument(help: "The high-magnification field.") var high: String
    @OptionGroup var scaleOptions: ScaleOptions
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Write LOW with the found field outlined (PNG).") var overlay: String?

    func run() throws {
        let lowImage = try withCleanError { try scaleOptions.readLow(low) }
        let highImage = try withCleanError { try ImageFiles.read(URL(fileURLWithPath: high)) }
        let r = scaleOptions.locate(highImage.pixels, in: Plane(luminanceOf: lowImage.pixels))
        if json {
            print(Self.json(r))
        } else if r.found {
            print(String(format: "found at x %.2f, y %.2f (LOW pixels, top-left corner), scale %.3f, correlation %.4f, evidence z %.1f",
                         r.x, r.y, r.scale, r.score, r.evidence?.combinedZ ?? 0))
        } else {
            print("not found: \(r.reason ?? "")")
        }
        if let overlay, r.found {
            let box = Self.box(highImage.pixels, r)
            try withCleanError { try PNGCodec.write(Self.outline(lowImage.pixels, boxes: [box]), to: URL(fileURLWithPath: overlay)) }
        }
        if !r.found { throw ExitCode(1) }
    }

    static func json(_ r: Registration.Result) -> String {
        var text = "{\"found\": \(r.found), \"x\": \(r.x), \"y\": \(r.y), \"scale\": \(r.scale), \"score\": \(r.score)"
        if let reason = r.reason { text += ", \"reason\": \"\(reason.replacingOccurrences(of: "\"", with: "'"))\"" }
        if let e = r.evidence { text += ", \"evidence\": " + json(e) }
        return text + "}"
    }

    /// The evidence as JSON (numbers only; NaN and infinities as null).
    static func json(_ e: Registration.Evidence) -> String {
        func n(_ v: Double?) -> String { v.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
        let levels = e.levels.map {
            "{\"level\": \($0.level), \"detail_peak\": \(n($0.peak)), \"detail_mean\": \(n($0.mean)), \"detail_deviation\": \(n($0.deviation)), \"samples\": \($0.samples), \"z\": \(n($0.z))}"
        }
        let head = "{\"z\": \(n(e.combinedZ)), \"deciding_levels\": \(e.decidingLevels), \"levels\": [\(levels.joined(separator: ", "))], "
        let scores = "\"scores_by_level\": [\(e.scoresByLevel.map { n($0) }.joined(separator: ", "))], \"runner_up_score\": \(n(e.runnerUpScore)), "
        let coarse = "\"coarse\": {\"peak\": \(n(e.coarsePeak)), \"second\": \(n(e.coarseSecond)), \"mean\": \(n(e.coarseMean)), \"deviation\": \(n(e.coarseDeviation))}}"
        return head + scores + coarse
    }

    /// The field's outline in LOW pixels.
    static func box(_ field: PixelArray, _ r: Registration.Result) -> (x: Int, y: Int, w: Int, h: Int) { PairsBuilder.box(field, r) }

    /// LOW as 8-bit RGB with red rectangles.
    static func outline(_ p: PixelArray, boxes: [(x: Int, y: Int, w: Int, h: Int)]) -> PixelArray {
        let spp = p.samplesPerPixel, v = p.frame(0).samples.floats(), n = p.rows * p.columns
        let top = max(v.max() ?? 1, 1)
        var rgb = [UInt8](repeating: 0, count: n * 3)
        for i in 0 ..< n { for c in 0 ..< 3 { rgb[i * 3 + c] = UInt8(min(max(v[i * spp + min(c, spp - 1)] / top * 255, 0), 255)) } }
        func mark(_ xx: Int, _ yy: Int) {
            guard xx >= 0, yy >= 0, xx < p.columns, yy < p.rows else { return }
            let i = (yy * p.columns + xx) * 3
            (rgb[i], rgb[i + 1], rgb[i + 2]) = (255, 0, 0)
        }
        for (x, y, w, h) in boxes where w > 0 && h > 0 {
            for xx in x ..< x + w { mark(xx, y); mark(xx, y + h - 1) }
            for yy in y ..< y + h { mark(x, yy); mark(x + w - 1, yy) }
        }
        return PixelArray(rows: p.rows, columns: p.columns, samplesPerPixel: 3, samples: .uint8(rgb))
    }
}
