public import Foundation
public import MedImage

/// Writes derived DICOM images (e.g. super-resolved ones) from a DICOM source, and
/// de-identified copies.
public enum DICOMWriter {
    /// Writes `pixels` (one frame: 1 sample of int16/uint16, or 3 samples of uint8) as a derived
    /// image of the DICOM file `source`: its data set with the new pixel data, pixel spacing
    /// divided by `scale`, ImageType DERIVED\SECONDARY, `description` as DerivationDescription
    /// and SeriesDescription, new SOP Instance and Series UIDs, the source referenced in Source
    /// Image Sequence, and `rescale` as RescaleSlope / RescaleIntercept (stored × slope +
    /// intercept must be the source's modality units, e.g. HU). Multi-frame and enhanced sources,
    /// and 16-bit images of 8-bit-only IODs (ultrasound), become Secondary Capture. With `deidentification` the source's data set is first
    /// de-identified (PS3.15 Annex E, see `Deidentification`), and the reference to the source
    /// uses its replacement UID; with nil every identifier is kept. The file appears under `url`
    /// complete or not at all.
    public static func writeDerived(_ pixels: PixelArray, source: URL, to url: URL, scale: Double, rescale: Rescale = .identity,
                                    description: String, deidentification: Deidentification?) throws {
        let bits: Int, signed: Bool
        switch (pixels.samples, pixels.samplesPerPixel) {
        case (.int16, 1): (bits, signed) = (16, true)
        case (.uint16, 1): (bits, signed) = (16, false)
        case (.uint8, 3): (bits, signed) = (8, false)
        default:
            throw DICOMError(.invalidRequest, path: url.path, "derived images are 16-bit grey or 8-bit RGB, not \(pixels.samplesPerPixel) × \(pixels.sampleType)")
        }
        guard pixels.frames == 1 else { throw DICOMError(.invalidRequest, path: url.path, "derived images have one frame") }
        guard scale > 0, rescale.slope > 0, rescale.intercept.isFinite, pixels.rows <= 65535, pixels.columns <= 65535 else {
            throw DICOMError(.invalidRequest, path: url.path, "derived image: unsupported scale, rescale or size")
        }
        var file = try DICOMFile(path: source.path)
        let derived = DerivedImage(file: file, scale: scale)
        derived.removeSourcePixelDescription(from: &file)
        if let deidentification { try Deidentifier.apply(deidentification, to: &file) }
        try derived.describe(in: &file, description: description, rescale: rescale, samples: pixels.samplesPerPixel, bits: bits,
                             referencedInstance: derived.sourceInstance.map { deidentification?.uid(for: $0) ?? $0 })
        try withPointer(pixels.samples) { pointer in
            try file.putPixels(pointer, rows: pixels.rows, columns: pixels.columns, samples: pixels.samplesPerPixel, bits: bits, signed: signed)
        }
        try AtomicFile.write(to: url) { temporary in try file.save(to: temporary.path) }
    }

    /// Writes a de-identified copy of the DICOM file `source` (pixels unchanged) to `url`.
    public static func writeDeidentified(source: URL, to url: URL, _ deidentification: Deidentification) throws {
        var file = try DICOMFile(path: source.path)
        try Deidentifier.apply(deidentification, to: &file)
        try AtomicFile.write(to: url) { temporary in try file.save(to: temporary.path, keepTransferSyntax: true) }
    }

    private static func withPointer<R>(_ samples: Samples, _ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
        switch samples {
        case .uint8(let v): try v.withUnsafeBytes { try body($0.baseAddress!) }
        case .uint16(let v): try v.withUnsafeBytes { try body($0.baseAddress!) }
        case .int16(let v): try v.withUnsafeBytes { try body($0.baseAddress!) }
        case .uint32(let v): try v.withUnsafeBytes { try body($0.baseAddress!) }
        case .int32(let v): try v.withUnsafeBytes { try body($0.baseAddress!) }
        case .float32(let v): try v.withUnsafeBytes { try body($0.baseAddress!) }
        }
    }
}
