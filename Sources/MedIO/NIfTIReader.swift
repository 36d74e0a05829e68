import CNIfTI
import Foundation
public import MedImage

/// NIfTI-1 and NIfTI-2 volumes through nifticlib: `.nii`, `.nii.gz`, `.hdr`/`.img` pairs, 3-D
/// and 4-D, in either byte order.
///
/// A volume is read as slices across one voxel axis (`ReadOptions.axis`, default k, the
/// acquisition's slice axis): slice `s` across axis a is a 2-D image over the two other axes
/// u < v with columns along u and rows along v, row 0 at v = 0 — the file's own voxel order,
/// nibabel's `data.take(s, axis=a).T`. Frames of the result are the slices. `scl_slope` and
/// `scl_inter` become the rescale (the modality values); int8 is read as int16 and float64 as
/// float32, and RGB24 as 8-bit RGB.
public enum NIfTIReader {
    /// A NIfTI datatype: its name and the sample type MedSR holds it as.
    struct Datatype {
        var name: String
        var sampleType: SampleType
        var samplesPerVoxel: Int
    }

    /// NIfTI DT_* codes MedSR reads (nifti1.h); others are refused with their name.
    static let datatypes: [Int32: Datatype] = [
        2: Datatype(name: "uint8", sampleType: .uint8, samplesPerVoxel: 1),
        4: Datatype(name: "int16", sampleType: .int16, samplesPerVoxel: 1),
        8: Datatype(name: "int32", sampleType: .int32, samplesPerVoxel: 1),
        16: Datatype(name: "float32", sampleType: .float32, samplesPerVoxel: 1),
        64: Datatype(name: "float64", sampleType: .float32, samplesPerVoxel: 1),
        128: Datatype(name: "rgb24", sampleType: .uint8, samplesPerVoxel: 3),
        256: Datatype(name: "int8", sampleType: .int16, samplesPerVoxel: 1),
        512: Datatype(name: "uint16", sampleType: .uint16, samplesPerVoxel: 1),
        768: Datatype(name: "uint32", sampleType: .uint32, samplesPerVoxel: 1),
    ]
    static let unsupportedNames: [Int32: String] = [
        1: "binary", 32: "complex64", 1024: "int64", 1280: "uint64", 1536: "float128", 1792: "complex128",
        2048: "complex256", 2304: "rgba32",
    ]

    static func datatype(_ file: borrowing NIfTIFile) throws(NIfTIError) -> Datatype {
        let code = file.info.datatype
        guard let type = datatypes[code] else {
            let name = unsupportedNames[code] ?? "code \(code)"
            throw NIfTIError(.unsupported, path: file.path,
                             "\(name) voxels are not supported (uint8, int8, int16, uint16, int32, uint32, float32, float64, rgb24)")
        }
        return type
    }

    /// Millimetres per unit of the header's spatial unit code (unknown is taken as mm, as nibabel does).
    static func millimetres(_ code: Int32) -> Double {
        switch code & 0x07 {
        case 1: 1000  // metre
        case 3: 0.001  // micron
        default: 1
        }
    }

    /// The rescale `scl_slope`/`scl_inter` define: none when the slope is 0 or not finite (NIfTI-1 §scl_slope).
    static func rescale(_ info: msr_nifti_info, datatype: Datatype) -> Rescale {
        guard datatype.samplesPerVoxel == 1, info.scl_slope.isFinite, info.scl_slope != 0 else { return .identity }
        return Rescale(slope: info.scl_slope, intercept: info.scl_inter.isFinite ? info.scl_inter : 0)
    }

    /// The affine nibabel would pick: sform when its code is set, else qform, else none.
    static func affine(_ file: borrowing NIfTIFile) -> (source: String, matrix: [Double]?) {
        let scale = millimetres(file.info.xyz_units)
        func inMM(_ m: [Double]) -> [Double] {
            m.enumerated().map { $0.offset < 12 ? $0.element * scale : $0.element }
        }
        if file.info.sform_code > 0 { return ("sform", inMM(file.sform)) }
        if file.info.qform_code > 0 { return ("qform", inMM(file.qform)) }
        return ("none", nil)
    }

    public static func describe(path: String) throws -> FileDescription {
        let file = try NIfTIFile(path: path)
        let info = file.info
        let type = datatypes[info.datatype]
        let (nx, ny, nz) = file.grid
        let mm = millimetres(info.xyz_units)
        var d = FileDescription(path: path, format: .nifti)
        d.columns = nx
        d.rows = ny
        d.frames = nz
        d.samplesPerPixel = type?.samplesPerVoxel
        d.sampleType = type?.sampleType
        d.photometric = type?.samplesPerVoxel == 3 ? "RGB" : "MONOCHROME2"
        d.pixelSpacingMM = [file.pixdim[1] * mm, file.pixdim[0] * mm]
        if let type { d.rescale = rescale(info, datatype: type) }
        let (source, matrix) = affine(file)
        let name = type?.name ?? unsupportedNames[info.datatype] ?? "code \(info.datatype)"
        let seconds: Double? = switch info.time_units & 0x38 {
        case 8: 1
        case 16: 0.001
        case 24: 0.000_001
        default: nil
        }
        d.volume = VolumeDescription(
            niftiVersion: Int(info.version), storage: info.pair != 0 ? "pair" : "single", gzip: info.compressed != 0,
            dimensions: file.dimensions, voxelSizeMM: file.pixdim.prefix(3).map { $0 * mm },
            timeStepSeconds: file.dimensions.count > 3 && file.pixdim[3] > 0 ? seconds.map { $0 * file.pixdim[3] } : nil,
            datatype: name, readAs: type.flatMap { $0.sampleType.rawValue == $0.name || $0.samplesPerVoxel == 3 ? nil : $0.sampleType.rawValue },
            sclSlope: info.scl_slope, sclInter: info.scl_inter,
            qformCode: Int(info.qform_code), sformCode: Int(info.sform_code), affineSource: source,
            affine: matrix.map { m in (0 ..< 4).map { r in Array(m[r * 4 ..< r * 4 + 4]) } },
            orientation: matrix.map(orientationCode), volumes: file.volumes ?? Int.max)
        if type == nil { d.notes = ["\(name) voxels cannot be converted"] }
        return d
    }

    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        let file = try NIfTIFile(path: path)
        let info = file.info
        let type = try datatype(file)
        let (nx, ny, nz) = file.grid
        let axis = options.axis ?? 2
        guard (0 ... 2).contains(axis) else {
            throw NIfTIError(.invalidRequest, path: path, "axis \(axis) does not exist (0, 1 or 2)")
        }
        guard let volumes = file.volumes, options.volume >= 0, options.volume < volumes else {
            throw NIfTIError(.notFound, path: path, "volume \(options.volume) does not exist (the file has \(file.volumes.map(String.init) ?? "too many") volumes)")
        }
        let sizes = [nx, ny, nz]
        let count = sizes[axis]
        let slices: Range<Int>
        switch options.frames {
        case .all: slices = 0 ..< count
        case .index(let s):
            guard s >= 0 && s < count else {
                throw NIfTIError(.notFound, path: path, "slice \(s) does not exist (0…\(count - 1) along axis \(axis))")
            }
            slices = s ..< s + 1
        }
        // Budget on what is read (one whole volume), before anything is allocated.
        let bytesPerVoxel = Int(info.bytes_per_voxel)
        let (a, o1) = nx.multipliedReportingOverflow(by: ny)
        let (b, o2) = a.multipliedReportingOverflow(by: nz)
        let (volumeBytes, o3) = b.multipliedReportingOverflow(by: bytesPerVoxel)
        if o1 || o2 || o3 || volumeBytes > options.maxBytes {
            throw InputError(.tooLarge, path: path,
                             "header claims \(nx)×\(ny)×\(nz) voxels of \(type.name) per volume, over the \(options.maxBytes >> 20) MiB limit (raise it with --max-mb)")
        }
        // An uncompressed file must hold what the header claims: checked before allocating.
        if info.compressed == 0, info.voxel_file_size >= 0 {
            let needed = Int(info.vox_offset) + (options.volume + 1) * volumeBytes
            if Int(info.voxel_file_size) < needed {
                throw NIfTIError(.corrupt, path: path,
                                 "truncated: volume \(options.volume) needs \(needed) bytes, the voxel file holds \(info.voxel_file_size)")
            }
        }
        // malloc, not an Array: a gzip file's size says nothing of what it inflates to, and a
        // refused allocation must be an error, not a crash.
        guard let raw = malloc(max(volumeBytes, 1)) else {
            throw InputError(.tooLarge, path: path, "cannot allocate \(volumeBytes >> 20) MiB for one volume")
        }
        defer { free(raw) }
        let buffer = UnsafeMutableRawBufferPointer(start: raw, count: volumeBytes)
        try file.readVolumes(first: options.volume, count: 1, into: buffer)
        let shape = VolumeShape(nx: nx, ny: ny, nz: nz, spp: type.samplesPerVoxel)
        let samples = gatherSlices(UnsafeRawBufferPointer(buffer), code: info.datatype, shape: shape, axis: axis, slices: slices)
        let (columns, rows) = shape.planeSize(axis: axis)
        var pixels = PixelArray(frames: slices.count, rows: rows, columns: columns, samplesPerPixel: type.samplesPerVoxel,
                                samples: samples)
        var metadata = ImageMetadata()
        metadata.format = info.version == 2 ? "NIfTI-2" : "NIfTI-1"
        metadata.bitsAllocated = type.sampleType.byteCount * 8
        metadata.bitsStored = metadata.bitsAllocated
        metadata.isSigned = [.int16, .int32].contains(type.sampleType)
        metadata.photometric = type.samplesPerVoxel == 3 ? "RGB" : "MONOCHROME2"
        metadata.rescale = rescale(info, datatype: type)
        if let r = options.region {
            guard r.x + r.width <= columns, r.y + r.height <= rows else {
                throw NIfTIError(.invalidRequest, path: path, "region lies outside the \(columns)×\(rows) slices")
            }
            pixels = pixels.cropped(x: r.x, y: r.y, width: r.width, height: r.height)
        }
        if options.forceGray && pixels.samplesPerPixel == 3 {
            pixels = ColorConversion.luma(pixels)
            metadata.photometric = "MONOCHROME2"
        }
        let mm = millimetres(info.xyz_units)
        let spacing = file.pixdim.prefix(3).map { $0 * mm }
        let (u, v) = VolumeShape.planeAxes(axis: axis)
        let geometry = Geometry(pixelSpacingMM: [spacing[v], spacing[u]], sliceThicknessMM: spacing[axis])
        return MedicalImage(pixels: pixels, geometry: geometry, metadata: metadata,
                            provenance: Provenance(sourcePath: path, frame: options.volume > 0 ? options.volume : nil,
                                                   slice: slices.count == 1 ? slices.lowerBound : nil,
                                                   region: options.region.map { [$0.x, $0.y, $0.width, $0.height] }))
    }

    /// The slices `slices` across `axis` of one volume, as MedSR samples.
    static func gatherSlices(_ raw: UnsafeRawBufferPointer, code: Int32, shape: VolumeShape, axis: Int,
                             slices: Range<Int>) -> Samples {
        switch code {
        case 2, 128: return .uint8(shape.gather(raw, as: UInt8.self, axis: axis, slices: slices))
        case 4: return .int16(shape.gather(raw, as: Int16.self, axis: axis, slices: slices))
        case 8: return .int32(shape.gather(raw, as: Int32.self, axis: axis, slices: slices))
        case 16: return .float32(shape.gather(raw, as: Float.self, axis: axis, slices: slices))
        case 64: return .float32(shape.gather(raw, as: Double.self, axis: axis, slices: slices).map { Float($0) })
        case 256: return .int16(shape.gather(raw, as: Int8.self, axis: axis, slices: slices).map { Int16($0) })
        case 512: return .uint16(shape.gather(raw, as: UInt16.self, axis: axis, slices: slices))
        case 768: return .uint32(shape.gather(raw, as: UInt32.self, axis: axis, slices: slices))
        default: preconditionFailure("datatype \(code) passed the datatype check")
        }
    }
}

/// One 3-D volume's voxel layout: i fastest, then j, then k; `spp` samples per voxel.
struct VolumeShape {
    var nx: Int, ny: Int, nz: Int, spp: Int

    /// The two axes a slice across `axis` spans: (columns, rows).
    static func planeAxes(axis: Int) -> (Int, Int) {
        switch axis {
        case 0: (1, 2)
        case 1: (0, 2)
        default: (0, 1)
        }
    }

    func planeSize(axis: Int) -> (columns: Int, rows: Int) {
        let sizes = [nx, ny, nz]
        let (u, v) = Self.planeAxes(axis: axis)
        return (sizes[u], sizes[v])
    }

    /// Copies the slices out, frame by frame, rows top to bottom, samples of a voxel adjacent.
    func gather<T>(_ raw: UnsafeRawBufferPointer, as _: T.Type, axis: Int, slices: Range<Int>) -> [T] {
        let src = raw.bindMemory(to: T.self)
        let (columns, rows) = planeSize(axis: axis)
        let strides = [spp, nx * spp, nx * ny * spp]  // elements between neighbours along i, j, k
        let (u, v) = Self.planeAxes(axis: axis)
        let su = strides[u], sv = strides[v], sa = strides[axis]
        let perSlice = columns * rows * spp
        return [T](unsafeUninitializedCapacity: slices.count * perSlice) { out, initialized in
            var o = 0
            for s in slices {
                for r in 0 ..< rows {
                    let rowStart = s * sa + r * sv
                    if su == spp {
                        // Contiguous row (slices across j or k): one copy.
                        let n = columns * spp
                        _ = UnsafeMutableBufferPointer(rebasing: out[o ..< o + n])
                            .initialize(from: UnsafeBufferPointer(rebasing: src[rowStart ..< rowStart + n]))
                        o += n
                    } else {
                        for c in 0 ..< columns {
                            let at = rowStart + c * su
                            for p in 0 ..< spp { (out.baseAddress! + o + p).initialize(to: src[at + p]) }
                            o += spp
                        }
                    }
                }
            }
            initialized = o
        }
    }
}
