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

    /// SSIM straight from its definition: 11×11 Gaussian sums with mirrored borders, per pixel.
    static func referenceMap(_ x: Plane, _ y: Plane, dataRange: Double) -> [Double] {
        let rows = x.rows, cols = x.columns, r = 5
        let g = (0 ... r).map { exp(-0.5 * Double($0 * $0) / 2.25) }
        let total = g[0] + 2 * g.dropFirst().reduce(0, +)
        func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i - 1 : (i >= n ? 2 * n - i - 1 : i) }
        let c1 = (0.01 * dataRange) * (0.01 * dataRange), c2 = (0.03 * dataRange) * (0.03 * dataRange)
        var out = [Double](repeating: 0, count: rows * cols)
        for i in 0 ..< rows {
            for j in 0 ..< cols {
                var mx = 0.0, my = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0
                for di in -r ... r {
                    for dj in -r ... r {
                        let w = g[abs(di)] * g[abs(dj)] / (total * total)
                        let k = reflect(i + di, rows) * cols + reflect(j + dj, cols)
                        let a = Double(x.values[k]), b = Double(y.values[k])
                        mx += w * a; my += w * b; sxx += w * a * a; syy += w * b * b; sxy += w * a * b
                    }
                }
                let vx = sxx - mx * mx, vy = syy - my * my, vxy = sxy - mx * my
                out[i * cols + j] = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
            }
        }
        return out
    }

    /// Images large enough for two bands of rows and several column strips (a last strip that is
    /// not a multiple of the kernel's vector width): every kernel copy, one and two threads, equal
    /// the definition; the map does not depend on how the image was cut into blocks.
    @Test(arguments: [Int32(0), 1, 2])
    func blocksAndBandsEqualTheDefinition(level: Int32) throws {
        var rng = SplitMix64(seed: 7)
        let rows = 150, cols = 171
        var values = [Float]()
        for i in 0 ..< rows * cols {
            let wave: Double = 60 * sin(Double(i % cols) / 13)
            let noise: Double = 40 * Double(rng.next() % 1000) / 1000
            values.append(Float(100 + wave + noise).rounded())
        }
        let x = Plane(rows: rows, columns: cols, values: values)
        let y = Plane(rows: rows, columns: cols, values: x.values.map { ($0 + Float(Int(rng.next() % 9) - 4)).rounded() })
        let want = Self.referenceMap(x, y, dataRange: 255)
        var inside = 0.0
        for i in 5 ..< rows - 5 { for j in 5 ..< cols - 5 { inside += want[i * cols + j] } }
        let wantMean = inside / Double((rows - 10) * (cols - 10))
        var maps = [[Float]]()
        for threads in [1, 2] {
            var ssim = SSIM(dataRange: 255)
            ssim.threads = threads
            let result = try KernelCopies.with(level: level) { try ssim.compute(x, y, map: true) }
            let map = try #require(result.map).values
            let worst = zip(map, want).map { abs(Double($0) - $1) }.max() ?? 1
            #expect(worst < 1e-6, "largest map difference \(worst) with \(threads) thread(s)")
            #expect(abs(result.mean - wantMean) < 1e-10, "mean \(result.mean) vs \(wantMean)")
            maps.append(map)
        }
        #expect(maps[0] == maps[1])
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
