import MedImage

/// The last steps every plain raster reader (PNG, JPEG, BMP) shares: `--gray` as Pillow's `L`,
/// the region crop, and the image with its provenance.
enum RasterImage {
    /// - Parameters:
    ///   - pixels: the decoded image, upright, 1 or 3 (or 2/4 with alpha) samples per pixel.
    ///   - metadata: the reader's metadata; its photometric interpretation follows the samples.
    ///   - regionError: the reader's own error for a region outside the image.
    /// - Throws: `regionError`'s error when `options.region` does not lie inside the image.
    static func finish(_ pixels: PixelArray, metadata: ImageMetadata, path: String, options: ReadOptions,
                       regionError: (String) -> any Error) throws -> MedicalImage {
        var pixels = pixels
        var metadata = metadata
        metadata.photometric = pixels.samplesPerPixel == 3 ? "RGB" : "MONOCHROME2"
        if options.forceGray && pixels.samplesPerPixel == 3 {
            pixels = ColorConversion.luma(pixels)
            metadata.photometric = "MONOCHROME2"
        }
        if let region = options.region {
            guard region.x + region.width <= pixels.columns, region.y + region.height <= pixels.rows else {
                throw regionError("region lies outside the \(pixels.columns)×\(pixels.rows) image")
            }
            pixels = pixels.cropped(x: region.x, y: region.y, width: region.width, height: region.height)
        }
        return MedicalImage(pixels: pixels, metadata: metadata,
                            provenance: Provenance(sourcePath: path, region: options.region.map {
                                [$0.x, $0.y, $0.width, $0.height]
                            }))
    }
}
