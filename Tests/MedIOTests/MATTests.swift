import Foundation
import MedDataset
import MedIO
import MedImage
import Testing
import TestSupport

@Suite("MATLAB: figshare brain-tumour layout")
struct MATTests {
    /// 1–3: written as MATLAB -v7.3 writes; 4: re-saved with h5py defaults; 5: MATLAB v5 (scipy).
    @Test("image and mask equal the source arrays, in MATLAB's orientation", arguments: 1 ... 5)
    func figshareRecord(_ n: Int) throws {
        let record = try MATReader.figshareRecord(path: FixturePath.url("mat/figshare/\(n).mat").path)
        let (shape, image) = try NPYFile.read(FixturePath.url("mat/reference/\(n).image.npy"))
        let (_, mask) = try NPYFile.read(FixturePath.url("mat/reference/\(n).mask.npy"))
        #expect(shape == [256, 256])
        #expect(record.image.rows == 256 && record.image.columns == 256)
        #expect(record.image.samples == image)
        #expect(record.tumorMask?.values == mask.floats().map { UInt8($0) })
        #expect(record.label == [1, 2, 3, 2, 1][n - 1])
        #expect(record.patient?.id.hasPrefix("PHI-CANARY") == true)
    }

    @Test("the mask lies on the tumour border polygon (orientation check)", arguments: 1 ... 5)
    func maskMatchesBorder(_ n: Int) throws {
        let record = try MATReader.figshareRecord(path: FixturePath.url("mat/figshare/\(n).mat").path)
        let mask = try #require(record.tumorMask)
        // Border pairs are (row, column), 1-based. Every border point must touch the mask
        // within one pixel; transposing the image would put the mask elsewhere.
        var hits = 0
        for i in stride(from: 0, to: record.border.count, by: 2) {
            let rowValue: Double = record.border[i], columnValue: Double = record.border[i + 1]
            let r = Int(rowValue.rounded()) - 1
            let c = Int(columnValue.rounded()) - 1
            hits += isNearMask(mask, row: r, column: c) ? 1 : 0
        }
        #expect(hits == record.border.count / 2)
        var transposed = [UInt8](repeating: 0, count: 256 * 256)
        for r in 0 ..< 256 { for c in 0 ..< 256 { transposed[c * 256 + r] = mask.values[r * 256 + c] } }
        #expect(transposed != mask.values, "fixture must not be symmetric, or the check proves nothing")
    }

    func isNearMask(_ mask: Mask, row: Int, column: Int) -> Bool {
        for r in max(row - 1, 0) ... min(row + 1, 255) {
            for c in max(column - 1, 0) ... min(column + 1, 255) where mask.values[r * 256 + c] == 1 {
                return true
            }
        }
        return false
    }

    @Test func readerGivesImageAndMaskWithLabel() throws {
        let image = try ImageFiles.read(FixturePath.url("mat/figshare/2.mat"))
        #expect(image.pixels.sampleType == .int16)
        #expect(image.metadata.label == "glioma")
        #expect(image.masks["tumorMask"] != nil)
        var options = ReadOptions()
        options.variable = "cjdata.tumorMask"
        let mask = try ImageFiles.read(FixturePath.url("mat/figshare/2.mat"), options: options)
        #expect(mask.pixels.samples.floats().map { UInt8($0) } == image.masks["tumorMask"]!.values)
    }

    @Test func foldIndicesInFileOrder() throws {
        #expect(try MATReader.foldIndices(path: FixturePath.url("mat/figshare/cvind.mat").path) == [1, 2, 3, 4, 5])
    }

    @Test func missingVariableIsAClearError() throws {
        var options = ReadOptions()
        options.variable = "cjdata.nothing"
        let error = #expect(throws: MATError.self) { try ImageFiles.read(FixturePath.url("mat/figshare/1.mat"), options: options) }
        #expect(error?.code == .notFound)
        #expect(error?.description.contains("1.mat") == true)
    }
}

@Suite("MATLAB hostile attributes")
struct MATHostileTests {
    /// Found by fuzzing: MATLAB_class stored as an array of strings. The file still reads (the
    /// class comes from the HDF5 type) and nothing is written past a buffer.
    @Test func classAttributeThatIsAnArray() throws {
        let url = FixturePath.url("mat/hostile/class_array.mat")
        let d = try ImageFiles.describe(url)
        #expect(d.variables?.contains { $0.name == "x" && $0.dimensions == [4, 3] } == true)
        var options = ReadOptions()
        options.variable = "x"
        let image = try ImageFiles.read(url, options: options)
        #expect(image.pixels.samples.floats().count == 12)
    }

    /// Found by fuzzing (kept as Fixtures/mat/hostile/struct_null_data.mat): a v5 struct whose
    /// data matio leaves NULL crashed matio's field lookup. Now it is a clear error.
    /// Found by fuzzing: headers that declare more than the file holds — a v4 matrix of
    /// 2118265167 rows in 30 bytes, a v5 matrix whose dimensions claim 505 MB in 64 bytes —
    /// made matio allocate what they declare. Now each is one clear error before matio reads.
    @Test(arguments: ["v4_huge_matrix.mat", "v5_huge_dimensions.mat"])
    func declaredSizesBeyondTheFileAreRefused(_ name: String) throws {
        let url = FixturePath.url("mat/hostile/" + name)
        #expect(throws: (any Error).self) { try ImageFiles.describe(url) }
        do { _ = try ImageFiles.describe(url) } catch {
            #expect("\(error)".contains("damaged MATLAB v"), "\(error)")
        }
    }

    @Test func damagedStructIsAnErrorNotACrash() throws {
        let url = FixturePath.url("mat/hostile/struct_null_data.mat")
        _ = try? ImageFiles.describe(url)
        #expect(throws: MATError.self) { try MATReader.figshareRecord(path: url.path) }
    }
}
