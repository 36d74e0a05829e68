public import Foundation
public import MedImage
import Zarr

/// Writes registered microscope pairs (real LR optics, not a synthetic degradation) into the
/// same Zarr layout the dataset builder writes: `{train,val,test}/{hr,lr_x<factor>}`, a
/// `tiles.csv` and the dataset card. Fields are assigned to splits by a keyed hash of their
/// file name (fields of one slide share a patient, so these splits are by field). As with
/// builds, the root `zarr.json` is written last: an interrupted run leaves no complete-looking
/// dataset.
public final class PairDatasetWriter {
    let writer: DatasetWriter
    let tiler: Tiler
    let pseudonyms: Pseudonymizer
    let compressor = Zstd.Compressor()
    public let recipe: Recipe

    /// - Parameters: `recipe` gives tile, scales (exactly one: the factor), channels, bits,
    ///   compression and the split seed and ratios; `output` must not hold a dataset.
    public init(recipe: Recipe, output: URL, degradation: String) throws {
        precondition(recipe.scales.count == 1 && recipe.masks.isEmpty)
        if let problem = recipe.problems().first { throw StoreError(path: output.path, "pairs: \(problem)") }
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        guard existing.isEmpty else { throw StoreError(path: output.path, "output folder is not empty; choose a new one") }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        self.recipe = recipe
        tiler = Tiler(recipe: recipe)
        pseudonyms = Pseudonymizer(key: nil, seed: recipe.split.seed)
        writer = DatasetWriter(recipe: recipe, output: output, degradation: degradation,
                               policy: "by field (keyed hash of the file name, seed '\(recipe.split.seed)'), \(recipe.split.ratios.map(String.init).joined(separator: "/")); fields of one slide are one patient")
    }

    /// Adds one field's tiles: `hr` are `tile`², `lr` are (`tile`/factor)², both with the
    /// recipe's channels and sample type.
    public func add(field name: String, pairs: [(x: Int, y: Int, hr: PixelArray, lr: PixelArray)]) throws {
        let bits = recipe.bits
        let top = Double(bits == 8 ? 255 : 65535)
        var tiles = [UnitFile.StoredTile]()
        var chunks = [[[UInt8]]]()
        for p in pairs {
            precondition(p.hr.samplesPerPixel == recipe.channels && p.hr.sampleType.byteCount * 8 == bits)
            chunks.append([tiler.hrArray.encode(chunk: Tiler.planarBytes(p.hr), compressor: compressor),
                           tiler.lrArrays[0].encode(chunk: Tiler.planarBytes(p.lr), compressor: compressor)])
            tiles.append(UnitFile.StoredTile(x: p.x, y: p.y, frame: nil, level: nil, maskFraction: 0, lo: 0, hi: top,
                                             hasMask: false, chunks: [], chunkCount: 2))
        }
        let item = UnitFile.StoredItem(path: name, error: nil, patient: nil, splitKey: pseudonyms.splitKey(name), official: nil,
                                       fold: nil, label: nil, slice: nil, images: 1, tiles: tiles)
        try writer.add(item, chunk: { t, c in chunks[t][c] })
    }

    /// Records a field that could not be used.
    public func skip(field name: String, reason: String) throws {
        try writer.add(UnitFile.StoredItem(path: name, error: reason, patient: nil, splitKey: nil, official: nil, fold: nil,
                                           label: nil, slice: nil, images: 0, tiles: []), chunk: nil)
    }

    /// Writes the arrays' metadata, the manifest and the card, root last.
    public func finish(notes: [String] = []) throws -> SplitReport {
        try writer.finish(listingSkipped: [], notes: notes)
    }
}
