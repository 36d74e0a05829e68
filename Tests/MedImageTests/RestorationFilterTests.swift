import Foundation
import MedIO
import MedImage
import TestSupport
import Testing

/// The restoration baselines against golden files of scikit-image and scipy
/// (Tools/reference/nlm_golden.py) and against their own properties.
@Suite("Restoration filters: non-local means, median, blur kernels")
struct RestorationFilterTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var input: String
        var patchSize = 0, patchDistance = 0, h = 0.0, sigma = 0.0, size = 0
        var description: String { name }
    }

    static let cases: [Case] = {
        guard let json = try? FixturePath.json("restore/golden.json") as? [String: Any],
              let list = json["cases"] as? [[String: Any]] else { return [] }
        return list.map { c in
            Case(name: c["name"] as! String, input: c["input"] as! String,
                 patchSize: c["patch_size"] as? Int ?? 0, patchDistance: c["patch_distance"] as? Int ?? 0,
                 h: c["h"] as? Double ?? 0, sigma: c["sigma"] as? Double ?? 0, size: c["size"] as? Int ?? 0)
        }
    }()

    /// The channels of a stored `[rows, columns]` or `[rows, columns, channels]` float32 array.
    static func planes(_ name: String) throws -> [Plane] {
        let (shape, samples) = try NPYFile.read(FixturePath.url("restore/\(name).npy"))
        let values = samples.floats(), n = shape[0] * shape[1], channels = shape.count == 3 ? shape[2] : 1
        return (0 ..< channels).map { ch in
            Plane(rows: shape[0], columns: shape[1], values: (0 ..< n).map { values[$0 * channels + ch] })
        }
    }

    static func maxDifference(_ a: [Plane], _ b: [Plane]) -> Double {
        zip(a, b).map { p, q in zip(p.values, q.values).map { abs(Double($0) - Double($1)) }.max() ?? .infinity }.max() ?? .infinity
    }

    @Test func goldenFilesExist() {
        #expect(Self.cases.filter { $0.name.hasPrefix("nlm") }.count == 5)
        #expect(Self.cases.filter { $0.name.hasPrefix("median") }.count == 2)
    }

    @Test(arguments: cases.filter { $0.name.hasPrefix("nlm") }, [1, 2])
    func nonLocalMeansEqualsScikitImage(_ c: Case, workers: Int) throws {
        let x = try Self.planes(c.input), expected = try Self.planes(c.name)
        let nlm = NonLocalMeans(patchSize: c.patchSize, patchDistance: c.patchDistance, h: c.h, sigma: c.sigma)
        let y = nlm.apply(x, workers: workers)
        let diff = Self.maxDifference(y, expected)
        #expect(diff < 1e-4, "\(c.name): max |ours − scikit-image| = \(diff)")
        // The filter did something: the output is not the input.
        #expect(Self.maxDifference(y, x) > 0.01)
    }

    @Test func nonLocalMeansDoesNotDependOnThreads() throws {
        let x = try Self.planes("camera_noisy")[0]
        let nlm = NonLocalMeans(patchSize: 5, patchDistance: 5, h: 0.1)
        #expect(nlm.apply([x], workers: 1) == nlm.apply([x], workers: 2))
    }

    @Test(arguments: cases.filter { $0.name.hasPrefix("median") })
    func medianEqualsScipy(_ c: Case) throws {
        let x = try Self.planes(c.input)[0], expected = try Self.planes(c.name)[0]
        let y = MedianFilter(size: c.size).apply(x)
        // A median picks one of the samples: bit-exact.
        #expect(y.values == expected.values)
    }

    @Test func medianOfOneIsTheIdentityAndRemovesAnImpulse() {
        var values = [Float](repeating: 0.25, count: 49)
        values[24] = 1
        let p = Plane(rows: 7, columns: 7, values: values)
        #expect(MedianFilter(size: 1).apply(p) == p)
        #expect(MedianFilter(size: 3).apply(p).values.allSatisfy { $0 == 0.25 })
    }

    @Test(arguments: [BlurKernel.gaussian(sigma: 0.6), .gaussian(sigma: 2.5), .disk(radius: 0.7), .disk(radius: 3.2),
                      .motion(length: 1, angleDegrees: 0), .motion(length: 9, angleDegrees: 30), .motion(length: 6.5, angleDegrees: 90)])
    func blurKernelsSumToOneAndKeepAFlatImage(_ k: BlurKernel) {
        #expect(k.side % 2 == 1 && k.weights.count == k.side * k.side)
        #expect(abs(k.weights.reduce(0, +) - 1) < 1e-5)
        #expect(k.weights.allSatisfy { $0 >= 0 })
        let flat = Plane(rows: 20, columns: 23, values: [Float](repeating: 0.4, count: 20 * 23))
        #expect(k.apply(flat).values.allSatisfy { abs($0 - 0.4) < 1e-5 })
    }

    @Test func kernelShapes() {
        // A disk is round: its corners weigh less than its edge midpoints, and it is symmetric.
        let d = BlurKernel.disk(radius: 3)
        #expect(d.weights[0] < d.weights[3])
        #expect(d.weights[3] == d.weights[3 * 7] && d.weights[3] == d.weights[7 * 7 - 4])
        // A horizontal motion kernel lies on the centre row; a vertical one on the centre column.
        let h = BlurKernel.motion(length: 5, angleDegrees: 0), c = h.side / 2
        for i in 0 ..< h.side * h.side where i / h.side != c { #expect(h.weights[i] == 0) }
        let v = BlurKernel.motion(length: 5, angleDegrees: 90)
        for i in 0 ..< v.side * v.side where i % v.side != c { #expect(abs(v.weights[i]) < 1e-7) }
        // Gaussian kernel equals the separable product used by UnsharpMask.gaussian.
        let x = Plane(rows: 16, columns: 16, values: (0 ..< 256).map { Float(($0 * 37) % 101) / 100 })
        let a = BlurKernel.gaussian(sigma: 1.2).apply(x), b = GaussianFilter(sigma: 1.2).apply(x)
        #expect(zip(a.values, b.values).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func borderModesIndexAsNumPy() {
        // np.pad(np.arange(4), 6, mode=…) indices.
        #expect((-6 ..< 10).map { BorderMode.symmetric.index($0, 4) } == [2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1])
        #expect((-6 ..< 10).map { BorderMode.reflect.index($0, 4) } == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3])
    }
}
