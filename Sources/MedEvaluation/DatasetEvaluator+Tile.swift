import MedDataset
import MedMetrics
import MedNN
import Zarr

extension DatasetEvaluator {
    /// Scores one tile (its images, then PSNR, SSIM and SSIM inside and outside the mask for
    /// every method) exactly as `run()` scores it, for a viewer that asks about one tile at a time.
    /// - Throws: a `MetricsError` for an index outside the split, a `MetricsError` for a model that
    ///   does not fit the dataset.
    public func score(_ index: Int) throws -> TileResult {
        if let model {
            let channels = dataset.card["channels"]?.intValue ?? 1
            guard model.scale == scale, model.channels == channels, model.dataMax == maxValue else {
                throw MetricsError("the model is ×\(model.scale) for \(model.channels) channel(s) of range \(Int(model.dataMax)); the dataset has ×\(scale), \(channels) channel(s), range \(Int(maxValue))")
            }
        }
        let opened = try arrays()
        guard index >= 0 && index < opened.hr.count else {
            throw MetricsError("tile \(index) is not in \(split) (it holds \(opened.hr.count) tiles)")
        }
        let rows = try dataset.manifest(split: split)
        return try score(index, row: index < rows.count ? rows[index] : [:], arrays: opened)
    }
}
