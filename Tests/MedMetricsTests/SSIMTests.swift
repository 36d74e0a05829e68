import Foundation
import MedIO
import MedImage
import MedMetrics
import Testing
import TestSupport

/// MedMetrics against scikit-image (golden values made by Tools/reference/ssim_reference.py),
/// and the properties SSIM must have.
@Suite struct SSIMTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String, dataRange: Double, mssim: Double, psnr: Double, mse: Double, rect: [Int], ssimMask: Double
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        guard let json = try? FixturePath.json("metrics/golden.json") as? [String: Any],
              let all = json["cases"] as? [String: [String: Any]] else { return [] }
        return all.keys.sorted().map { k in
            let c = all[k]!
            return Case(name: k, dataRange: c["data_range"] as! Double, mssim: c["mssim"] as! Double,
                        psnr: c["psnr"] as! Double, mse: c["mse"] as! Double, rect: c["mask_rect"] as! [Int],
                        ssimMask: c["ssim_mask"] as! Double)
        }
    }()

    static func plane(_ name: String) throws -> Plane {
        let (shape, samples) = try NPYFile.read(FixturePath.url("metrics/\(name).npy"))
        return Plane(rows: shape[0], columns: shape[1], values: samples.floats())
    }

    static func doubles(_ name: String) throws -> [Double] {
        let data = try Data(contentsOf: FixturePath.url("metrics/\(name).npy"))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        return data.dropFirst(10 + headerLength).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    }

    @Test func goldenFilesExist() { #expect(Self.cases.count == 4) }

    @Test(arguments: cases, [1, 2])
    func matchesScikitImage(_ c: Case, threads: Int) throws {
        let x = try Self.plane("\(c.name)_x"), y = try Self.plane("\(c.name)_y")
        var ssim = SSIM(dataRange: c.dataRange)
        ssim.threads = threads
        let result = try ssim.compute(x, y, map: true)
        #expect(abs(result.mean - c.mssim) < 1e-5, "mssim \(result.mean) vs \(c.mssim)")
        let want = try Self.doubles("\(c.name)_map")
        let got = try #require(result.map).values
        let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? 1
        #expect(worst < 1e-5, "largest map difference \(worst)")
        #expect(abs(try Fidelity.psnr(x, y, dataRange: c.dataRange) - c.psnr) < 1e-9)
        #expect(abs(try Fidelity.mse(x, y) - c.mse) < 1e-9 * max(1, c.mse))
        var mask = [UInt8](repeating: 0, count: x.rows * x.columns)
        for r in c.rect[1] ..< c.rect[1] + c.rect[3] { for col in c.rect[0] ..< c.rect[0] + c.rect[2] { mask[r * x.columns + col] = 1 } }
        let masked = try ssim.masked(x, y, mask: mask)
        if c.rect[2] * c.rect[3] >= 121 {
            #expect(abs(masked.inside.value - c.ssimMask) < 1e-5)
        } else {
            #expect(masked.inside.value.isNaN && masked.inside.reason != nil)
        }
    }

    /// The lower copies of the kernel (CPUs without AVX-512, or without AVX2) give the same
    /// answers; the default run above uses the best copy this CPU has.
    @Test(arguments: cases, [Int32(0), 1])
    func lowerKernelCopiesMatchScikitImage(_ c: Case, level: Int32) throws {
        let x = try Self.plane("\(c.name)_x"), y = try Self.plane("\(c.name)_y")
        let result = try KernelCopies.with(level: level) { try SSIM(dataRange: c.dataRange).compute(x, y, map: true) }
        #expect(abs(result.mean - c.mssim) < 1e-5, "mssim \(result.mean) vs \(c.mssim)")
        let want = try Self.doubles("\(c.name)_map")
        let worst = zip(try #require(result.map).values, want).map { abs(Double($0) - $1) }.max() ?? 1
        #expect(worst < 1e-5, "largest map difference \(worst)")
    }

    @Test func identicalImagesScoreOneAndInfinitePSNR() throws {
        let x = try Self.plane("radiograph_x")
        #expect(abs(try SSIM(dataRange: 255).compute(x, x).mean - 1) < 1e-6)
        #expect(try Fidelity.psnr(x, x, dataRange: 255) == .infinity)
        #expect(try Fidelity.mse(x, x) == 0)
    }

    @Test func symmetric() throws {
        let x = try Self.plane("smooth_x"), y = try Self.plane("smooth_y")
        let a = try SSIM(dataRange: 1).compute(x, y).mean, b = try SSIM(dataRange: 1).compute(y, x).mean
        #expect(abs(a - b) < 1e-6)
    }

    @Test func allOnesMaskEqualsWholeImage() throws {
        let x = try Self.plane("radiograph_x"), y = try Self.plane("radiograph_y")
        let m = try SSIM(dataRange: 255).masked(x, y, mask: [UInt8](repeating: 1, count: x.values.count))
        #expect(abs(m.inside.value - m.whole) < 1e-7)
        #expect(m.background.value.isNaN && m.background.reason?.contains("fewer than one") == true)
    }

    @Test func smallMasksAreUndefinedNotSilent() throws {
        let x = try Self.plane("radiograph_x"), y = try Self.plane("radiograph_y")
        var mask = [UInt8](repeating: 0, count: x.values.count)
        for r in 40 ..< 50 { for c in 40 ..< 50 { mask[r * x.columns + c] = 1 } }   // 100 pixels < 121
        let tiny = try SSIM(dataRange: 255).masked(x, y, mask: mask)
        #expect(tiny.inside.value.isNaN && tiny.inside.reason != nil)
        for r in 40 ..< 50 { for c in 40 ..< 55 { mask[r * x.columns + c] = 1 } }   // 150 pixels, 10 rows: no whole window
        let strict = try SSIM(dataRange: 255).masked(x, y, mask: mask, wholeWindows: true)
        #expect(strict.inside.value.isNaN && strict.inside.reason?.contains("wholly") == true)
        let loose = try SSIM(dataRange: 255).masked(x, y, mask: mask)
        #expect(loose.inside.value.isFinite && loose.inside.pixels == 150)
        for r in 40 ..< 51 { for c in 40 ..< 55 { mask[r * x.columns + c] = 1 } }   // 11 rows: 5 whole windows
        #expect(try SSIM(dataRange: 255).masked(x, y, mask: mask, wholeWindows: true).inside.pixels == 5)
    }

    @Test func refusesBadInput() {
        let a = Plane(rows: 20, columns: 20, values: .init(repeating: 1, count: 400))
        let b = Plane(rows: 10, columns: 40, values: .init(repeating: 1, count: 400))
        let small = Plane(rows: 8, columns: 8, values: .init(repeating: 1, count: 64))
        #expect(throws: MetricsError.self) { try SSIM(dataRange: 1).compute(a, b) }
        #expect(throws: MetricsError.self) { try SSIM(dataRange: 1).compute(small, small) }
        #expect(throws: MetricsError.self) { try SSIM(dataRange: 0).compute(a, a) }
        #expect(throws: MetricsError.self) { try Fidelity.psnr(a, a, dataRange: -1) }
    }
}
