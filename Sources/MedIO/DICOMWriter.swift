public import Foundation
import CDCMTK
public import MedImage

/// Writes derived DICOM images (e.g. super-resolved ones) from a DICOM source.
public enum DICOMWriter {
    /// Writes `pixels` (one frame: 1 sample of int16/uint16, or 3 samples of uint8) as a derived
    /// image of the DICOM file `source`: its data set with the new pixel data, pixel spacing
    /// divided by `scale`, ImageType DERIVED\SECONDARY, `description`, new SOP Instance and
    /// Series UIDs, and `rescale` as RescaleSlope / RescaleIntercept (stored × slope + intercept
    /// must be the source's modality units, e.g. HU). Without `keepIdentifiers`, patient and institution identifiers
    /// and private elements are removed and the Study UID is replaced (see `msr_dcm.h`). The
    /// file appears under `url` complete or not at all.
    public static func writeDerived(_ pixels: PixelArray, source: URL, to url: URL, scale: Double, rescale: Rescale = .identity,
                                    description: String, keepIdentifiers: Bool) throws {
        let bits: Int32, signed: Int32
        switch (pixels.samples, pixels.samplesPerPixel) {
        case (.int16, 1): (bits, signed) = (16, 1)
        case (.uint16, 1): (bits, signed) = (16, 0)
        case (.uint8, 3): (bits, signed) = (8, 0)
        default:
            throw DICOMError(.invalidRequest, path: url.path, "derived images are 16-bit grey or 8-bit RGB, not \(pixels.samplesPerPixel) × \(pixels.sampleType)")
        }
        guard pixels.frames == 1 else { throw DICOMError(.invalidRequest, path: url.path, "derived images have one frame") }
        try AtomicFile.write(to: url) { temporary in
            var err = [CChar](repeating: 0, count: 512)
            let status: Int32 = withPointer(pixels.samples) { pointer in
                msr_dcm_write_derived(source.path, temporary.path, pointer, UInt32(pixels.rows), UInt32(pixels.columns),
                                      UInt32(pixels.samplesPerPixel), bits, signed, scale, rescale.slope, rescale.intercept,
                                      description, keepIdentifiers ? 1 : 0,
                                      &err, err.count)
            }
            guard status == MSR_DCM_OK else {
                throw DICOMError(.writeFailed, path: url.path, "cannot write the derived image",
                                 underlying: String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
    }

    private static func withPointer<R>(_ samples: Samples, _ body: (UnsafeRawPointer) -> R) -> R {
        switch samples {
        case .uint8(let v): v.withUnsafeBytes { body($0.baseAddress!) }
        case .uint16(let v): v.withUnsafeBytes { body($0.baseAddress!) }
        case .int16(let v): v.withUnsafeBytes { body($0.baseAddress!) }
        case .uint32(let v): v.withUnsafeBytes { body($0.baseAddress!) }
        case .int32(let v): v.withUnsafeBytes { body($0.baseAddress!) }
        case .float32(let v): v.withUnsafeBytes { body($0.baseAddress!) }
        }
    }
}
