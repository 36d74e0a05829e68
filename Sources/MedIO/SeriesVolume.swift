import CNIfTI
public import Foundation
public import MedImage
import MedKernels

/// One DICOM series as one 3-D volume on a regular grid, ready to be written as NIfTI the way
/// dcm2niix writes it: stored values with the rescale as scl_slope/scl_inter, and the affine
/// from ImagePositionPatient, ImageOrientationPatient and PixelSpacing in NIfTI's RAS+ world.
///
/// Voxel (i, j, k) is column i, row j of the k-th slice along the slice normal. A series
/// with gaps, uneven spacing, tilted positions or mixed sizes is refused, never resampled.
public struct SeriesVolume: Sendable {
    /// frames = slices in order along the normal.
    public var pixels: PixelArray
    public var rescale: Rescale
    /// Row-major 4×4, voxel (i, j, k) → RAS+ mm.
    public var affine: [Double]
    /// Voxel size along i, j, k in mm.
    public var spacingMM: [Double]
    public var sidecar: NIfTISidecar

    /// Reads the one DICOM series in `folder`.
    public static func load(folder: URL, maxBytes: Int = 4 << 30, threads: Int = 1) throws -> SeriesVolume {
        let path = folder.path
        let (all, skipped) = DICOMSeriesScanner.scan(ImageFiles.files(under: folder))
        guard all.count == 1, let series = all.first else {
            let why = all.isEmpty ? "holds no readable DICOM series" + (skipped.first.map { " (\($0.1))" } ?? "")
                : "holds \(all.count) DICOM series; give a folder with one series"
            throw InputError(.invalidRequest, path: path, why)
        }
        guard series.orderedBy == "position" else {
            throw InputError(.unsupported, path: path, "slice positions or orientation are missing: the slices cannot be placed in space")
        }
        guard series.duplicates.isEmpty else {
            throw InputError(.unsupported, path: path, "\(series.duplicates.count) slice(s) repeat another's position; remove the duplicates (or split the series)")
        }
        guard series.gapsAfter.isEmpty else {
            throw InputError(.unsupported, path: path,
                             "the series has gap(s) after slice(s) \(series.gapsAfter.map(String.init).joined(separator: ", ")); it is not resampled — convert each run of slices on its own")
        }
        // Slices are read on `threads` threads (DCMTK handles are per file); the series' size is
        // checked first from the scan (at least a byte per pixel), then exactly.
        let (pixelCount, overflow) = (series.rows ?? 0).multipliedReportingOverflow(by: (series.columns ?? 0) * series.files.count)
        if overflow || pixelCount > maxBytes {
            throw InputError(.tooLarge, path: path, "the series exceeds the \(maxBytes >> 20) MiB limit (raise it with --max-mb)")
        }
        var options = ReadOptions()
        options.maxBytes = maxBytes
        var results = [Result<MedicalImage, any Error>?](repeating: nil, count: series.files.count)
        results.withUnsafeMutableBufferPointer { out in
            parallelFor(series.files.count, workers: max(threads, 1)) { i, _ in
                out[i] = Result { try DICOMReader.read(path: series.files[i], options: options) }
            }
        }
        var images = [MedicalImage]()
        images.reserveCapacity(results.count)
        var budget = 0
        for (file, result) in zip(series.files, results) {
            let image = try result!.get()
            guard image.pixels.frames == 1 else {
                throw InputError(.unsupported, path: file, "multi-frame images in a series are not converted to NIfTI yet")
            }
            budget += image.pixels.byteCount
            if budget > maxBytes {
                throw InputError(.tooLarge, path: path, "the series exceeds the \(maxBytes >> 20) MiB limit (raise it with --max-mb)")
            }
            images.append(image)
        }
        let first = images[0]
        let g = first.geometry
        guard let orientation = g.imageOrientation, orientation.count == 6, let spacing = g.pixelSpacingMM, spacing.count == 2,
              let normal = g.sliceNormal else {
            throw InputError(.unsupported, path: series.files[0], "ImageOrientationPatient or PixelSpacing is missing")
        }
        for (file, image) in zip(series.files, images) {
            guard image.pixels.rows == first.pixels.rows, image.pixels.columns == first.pixels.columns,
                  image.pixels.sampleType == first.pixels.sampleType, image.pixels.samplesPerPixel == first.pixels.samplesPerPixel else {
                throw InputError(.unsupported, path: file, "its size or sample type differs from the series' first slice")
            }
            guard let o = image.geometry.imageOrientation, o.count == 6, zip(o, orientation).allSatisfy({ abs($0 - $1) < 1e-4 }),
                  let s = image.geometry.pixelSpacingMM, s.count == 2, zip(s, spacing).allSatisfy({ abs($0 - $1) < 1e-4 }) else {
                throw InputError(.unsupported, path: file, "its orientation or pixel spacing differs from the series' first slice")
            }
            guard image.metadata.rescale == first.metadata.rescale else {
                throw InputError(.unsupported, path: file, "its rescale slope/intercept differs from the first slice's (NIfTI holds one)")
            }
        }
        let positions = images.map { $0.geometry.imagePositionMM ?? [0, 0, 0] }
        let p0 = positions[0]
        var step = normal.map { $0 * (g.sliceThicknessMM ?? 1) }
        if positions.count > 1 {
            let n = Double(positions.count - 1)
            step = (0 ..< 3).map { (positions[positions.count - 1][$0] - p0[$0]) / n }
            // Every slice must sit where a regular grid puts it: no uneven spacing, no gantry tilt.
            let tolerance = max(0.01, 0.01 * (step.map { $0 * $0 }.reduce(0, +)).squareRoot())
            for (k, p) in positions.enumerated() {
                let off = (0 ..< 3).map { p[$0] - (p0[$0] + Double(k) * step[$0]) }
                if off.map({ $0 * $0 }).reduce(0, +).squareRoot() > tolerance {
                    throw InputError(.unsupported, path: series.files[k],
                                     "slice \(k) lies off the regular grid (uneven spacing or tilted positions); the series is not resampled")
                }
            }
        }
        // DICOM's patient coordinates are LPS+; NIfTI's world is RAS+: negate x and y.
        let x = Array(orientation[0 ..< 3]), y = Array(orientation[3 ..< 6])
        let columns = x.map { $0 * spacing[1] }, rows = y.map { $0 * spacing[0] }
        var affine = [Double](repeating: 0, count: 16)
        for r in 0 ..< 3 {
            let sign: Double = r < 2 ? -1 : 1
            affine[r * 4 + 0] = sign * columns[r]
            affine[r * 4 + 1] = sign * rows[r]
            affine[r * 4 + 2] = sign * step[r]
            affine[r * 4 + 3] = sign * p0[r]
        }
        affine[15] = 1
        guard let pixels = PixelArray.stacking(images.map(\.pixels)) else {
            throw InputError(.unsupported, path: path, "the slices cannot be stacked")
        }
        let sliceStep = (step.map { $0 * $0 }.reduce(0, +)).squareRoot()
        return SeriesVolume(pixels: pixels, rescale: first.metadata.rescale, affine: affine,
                            spacingMM: [spacing[1], spacing[0], sliceStep],
                            sidecar: try NIfTISidecar(path: series.files[0], orientation: orientation))
    }

    /// Writes the volume as a single-file NIfTI-1 (`.nii` or `.nii.gz`) and its JSON sidecar
    /// beside it, each atomically. Returns the files written. A `.nii.gz` is compressed on up
    /// to `threads` threads, in 4 MiB gzip members (zlib level 6, as dcm2niix and pigz use).
    public func writeNIfTI(to url: URL, threads: Int = 1) throws -> [URL] {
        let name = url.lastPathComponent
        let stem = name.hasSuffix(".nii.gz") ? String(name.dropLast(7)) : (name.hasSuffix(".nii") ? String(name.dropLast(4)) : name)
        let gz = !name.hasSuffix(".nii")
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = folder.appendingPathComponent(stem + (gz ? ".nii.gz" : ".nii"))
        let datatypes: [SampleType: Int32] = [.uint8: 2, .int16: 4, .int32: 8, .float32: 16, .uint16: 512, .uint32: 768]
        guard var datatype = datatypes[pixels.sampleType] else {
            throw NIfTIError(.unsupported, path: target.path, "\(pixels.sampleType) samples have no NIfTI datatype here")
        }
        if pixels.samplesPerPixel == 3 && pixels.sampleType == .uint8 { datatype = 128 }
        guard pixels.samplesPerPixel == 1 || datatype == 128 else {
            throw NIfTIError(.unsupported, path: target.path, "\(pixels.samplesPerPixel)-sample pixels have no NIfTI datatype here")
        }
        var spec = msr_nifti_spec()
        spec.dim = (Int64(pixels.columns), Int64(pixels.rows), Int64(pixels.frames), 1)
        spec.pixdim = (spacingMM[0], spacingMM[1], spacingMM[2], 0)
        spec.datatype = datatype
        spec.scl_slope = rescale.slope
        spec.scl_inter = rescale.intercept
        withUnsafeMutableBytes(of: &spec.affine) { raw in
            for (i, v) in affine.enumerated() { raw.storeBytes(of: v, toByteOffset: i * 8, as: Double.self) }
        }
        spec.xform_code = 1  // NIFTI_XFORM_SCANNER_ANAT, as dcm2niix
        var err = [CChar](repeating: 0, count: 256)
        var header = [UInt8](repeating: 0, count: 352)
        let status = "MedSR".withCString { descrip in
            spec.descrip = descrip
            return msr_nifti_header(&spec, &header, &err, err.count)
        }
        guard status == 0 else {
            throw NIfTIError(.writeFailed, path: target.path, "cannot make the NIfTI header", underlying: cString(err))
        }
        // NIfTI-1 in the host's order (x86-64 and arm64 are little-endian): the samples' own bytes.
        try Self.withBytes(of: pixels.samples) { voxels in
            try AtomicFile.write(to: target) { temporary in
                guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
                      let handle = FileHandle(forWritingAtPath: temporary.path) else {
                    throw NIfTIError(.writeFailed, path: target.path, "cannot create the file")
                }
                defer { try? handle.close() }
                if gz {
                    // The header is a gzip member of its own, the voxels follow in 4 MiB members.
                    try header.withUnsafeBytes { try Self.writeGzip($0, to: handle, threads: 1, path: target.path) }
                    try Self.writeGzip(voxels, to: handle, threads: threads, path: target.path)
                } else {
                    try handle.write(contentsOf: header)
                    try handle.write(contentsOf: voxels)
                }
            }
        }
        let json = folder.appendingPathComponent(stem + ".json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(sidecar), to: json)
        return [target, json]
    }
}

/// A BIDS-style sidecar: acquisition parameters only — no names, identifiers, dates or UIDs.
public struct NIfTISidecar: Sendable, Codable, Equatable {
    public var Modality: String?
    public var Manufacturer: String?
    public var ManufacturersModelName: String?
    public var MagneticFieldStrength: Double?
    public var BodyPartExamined: String?
    public var SeriesNumber: Int?
    public var SeriesDescription: String?
    public var ProtocolName: String?
    public var ImageType: [String]?
    public var SliceThickness: Double?
    public var SpacingBetweenSlices: Double?
    /// Seconds, as BIDS asks (DICOM holds milliseconds).
    public var RepetitionTime: Double?
    public var EchoTime: Double?
    public var InversionTime: Double?
    public var FlipAngle: Double?
    public var KVP: Double?
    public var XRayExposure: Double?
    public var ConvolutionKernel: String?
    public var ImageOrientationPatientDICOM: [Double]?
    public var ConversionSoftware = "medsr"

    init(path: String, orientation: [Double]) throws {
        let file = try DICOMFile(path: path)
        Modality = file.string("0008,0060")
        Manufacturer = file.string("0008,0070")
        ManufacturersModelName = file.string("0008,1090")
        MagneticFieldStrength = file.number("0018,0087")
        BodyPartExamined = file.string("0018,0015")
        SeriesNumber = file.int("0020,0011")
        SeriesDescription = file.string("0008,103E")
        ProtocolName = file.string("0018,1030")
        ImageType = file.string("0008,0008")?.split(separator: "\\").map(String.init)
        SliceThickness = file.number("0018,0050")
        SpacingBetweenSlices = file.number("0018,0088")
        RepetitionTime = file.number("0018,0080").map { $0 / 1000 }
        EchoTime = file.number("0018,0081").map { $0 / 1000 }
        InversionTime = file.number("0018,0082").map { $0 / 1000 }
        FlipAngle = file.number("0018,1314")
        KVP = file.number("0018,0060")
        XRayExposure = file.number("0018,1152")
        ConvolutionKernel = file.string("0018,1210")
        ImageOrientationPatientDICOM = orientation
    }
}

extension SeriesVolume {
    /// `src` as concatenated gzip members of 4 MiB each, compressed in parallel, written in order.
    /// The samples' memory, without a copy.
    static func withBytes<R>(of samples: Samples, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch samples {
        case .uint8(let a): try a.withUnsafeBytes(body)
        case .uint16(let a): try a.withUnsafeBytes(body)
        case .int16(let a): try a.withUnsafeBytes(body)
        case .uint32(let a): try a.withUnsafeBytes(body)
        case .int32(let a): try a.withUnsafeBytes(body)
        case .float32(let a): try a.withUnsafeBytes(body)
        }
    }

    static func writeGzip(_ src: UnsafeRawBufferPointer, to handle: FileHandle, threads: Int, path: String) throws {
        let chunk = 4 << 20
        guard src.count > 0 else { return }
        let count = (src.count + chunk - 1) / chunk
        let bound = msr_gzip_bound(chunk)
        var out = [UInt8](repeating: 0, count: count * bound)
        var lengths = [Int](repeating: -1, count: count)
        do {
            out.withUnsafeMutableBufferPointer { dst in
                lengths.withUnsafeMutableBufferPointer { lens in
                    parallelFor(count, workers: max(threads, 1)) { i, _ in
                        let start = i * chunk, n = min(chunk, src.count - start)
                        var written = 0
                        let status = msr_gzip_member(src.baseAddress! + start, n, 6,
                                                     dst.baseAddress! + i * bound, bound, &written)
                        lens[i] = status == 0 ? written : -1
                    }
                }
            }
        }
        guard !lengths.contains(-1) else { throw NIfTIError(.writeFailed, path: path, "gzip compression failed") }
        for (i, n) in lengths.enumerated() {
            try out.withUnsafeBytes { try handle.write(contentsOf: UnsafeRawBufferPointer(rebasing: $0[i * bound ..< i * bound + n])) }
        }
    }
}
