import Foundation
public import MedImage

/// Reads DICOM files through DCMTK (parsing; JPEG and JPEG-LS), OpenJPEG (JPEG 2000) and the
/// shim's own RLE decoder (with DCMTK's as the fallback for unusual fragment layouts).
///
/// Pixels come back as stored values in the layout pydicom's `pixel_array` gives: signed data
/// sign-extended from Bits Stored, YBR colour converted to RGB, palette images as indices
/// (the palette is in the metadata).
public enum DICOMReader {
    enum Tag {
        static let rows = "0028,0010", columns = "0028,0011", samples = "0028,0002"
        static let bitsAllocated = "0028,0100", bitsStored = "0028,0101", highBit = "0028,0102"
        static let pixelRepresentation = "0028,0103", photometric = "0028,0004", frames = "0028,0008"
        static let planar = "0028,0006", pixelData = "7FE0,0010"
        static let rescaleIntercept = "0028,1052", rescaleSlope = "0028,1053", rescaleType = "0028,1054"
        static let windowCenter = "0028,1050", windowWidth = "0028,1051", windowFunction = "0028,1056"
        static let voiLUT = "0028,3010", lutDescriptor = "0028,3002", lutData = "0028,3006"
        static let modality = "0008,0060", sopClass = "0008,0016", sopInstance = "0008,0018"
        static let studyUID = "0020,000D", seriesUID = "0020,000E", instanceNumber = "0020,0013"
        static let seriesDescription = "0008,103E"
        static let pixelSpacing = "0028,0030", imagerPixelSpacing = "0018,1164", sliceThickness = "0018,0050"
        static let position = "0020,0032", orientation = "0020,0037", sliceLocation = "0020,1041"
        static let patientID = "0010,0020", patientName = "0010,0010"
        static let paletteDescriptors = ["0028,1101", "0028,1102", "0028,1103"]
        static let paletteData = ["0028,1201", "0028,1202", "0028,1203"]
        static let sharedGroups = "5200,9229", perFrameGroups = "5200,9230"
        static let frameVOI = "0028,9132", pixelValueTransform = "0028,9145", pixelMeasures = "0028,9110"
        static let planePosition = "0020,9113", planeOrientation = "0020,9116"
    }

    /// The pixel layout a header declares.
    struct Layout {
        var rows: Int, columns: Int, samples: Int, bitsAllocated: Int, bitsStored: Int
        var isSigned: Bool, photometric: String, frames: Int

        var bytesPerSample: Int { max(bitsAllocated / 8, 1) }
        var frameBytes: Int { rows * columns * samples * bytesPerSample }
        var sampleType: SampleType {
            switch (bitsAllocated, isSigned) {
            case (1, _), (8, false): .uint8
            case (8, true), (16, true): .int16
            case (16, false): .uint16
            case (32, false): .uint32
            default: .int32
            }
        }
    }

    static func layout(_ file: borrowing DICOMFile) throws(DICOMError) -> Layout {
        guard file.count(Tag.pixelData) != nil else {
            throw DICOMError(.notFound, path: file.path, "no Pixel Data (7FE0,0010): not an image")
        }
        guard let rows = file.int(Tag.rows), let columns = file.int(Tag.columns), rows > 0, columns > 0 else {
            throw DICOMError(.corrupt, path: file.path, "Rows (0028,0010) or Columns (0028,0011) missing or zero")
        }
        let bitsAllocated = file.int(Tag.bitsAllocated) ?? 0
        guard [1, 8, 16, 32].contains(bitsAllocated) else {
            throw DICOMError(.unsupported, path: file.path, "Bits Allocated (0028,0100) = \(bitsAllocated) is not supported (1, 8, 16, 32)")
        }
        let samples = file.int(Tag.samples) ?? 1
        guard samples == 1 || samples == 3 else {
            throw DICOMError(.unsupported, path: file.path, "Samples per Pixel (0028,0002) = \(samples) is not supported (1 or 3)")
        }
        let bitsStored = min(max(file.int(Tag.bitsStored) ?? bitsAllocated, 1), bitsAllocated)
        let frames = max(file.int(Tag.frames) ?? 1, 1)
        return Layout(rows: rows, columns: columns, samples: samples, bitsAllocated: bitsAllocated,
                      bitsStored: bitsStored, isSigned: file.int(Tag.pixelRepresentation) == 1,
                      photometric: file.string(Tag.photometric) ?? (samples == 3 ? "RGB" : "MONOCHROME2"),
                      frames: frames)
    }

    /// Reads the selected frames with metadata and geometry.
    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        let file = try DICOMFile(path: path)
        let layout = try layout(file)
        let wanted: [Int]
        switch options.frames {
        case .all: wanted = Array(0 ..< layout.frames)
        case .index(let i):
            guard i >= 0 && i < layout.frames else {
                throw DICOMError(.notFound, path: path, "frame \(i) does not exist (the file has \(layout.frames))")
            }
            wanted = [i]
        }
        if let error = checkBudget(path: path, rows: layout.rows, columns: layout.columns, samples: layout.samples,
                                   bytesPerSample: layout.bytesPerSample, frames: wanted.count, limit: options.maxBytes) {
            throw error
        }
        var metadata = describeValues(file, layout: layout, frame: wanted.first ?? 0)
        let rescales = wanted.map { rescale(file, frame: $0) }
        if Set(rescales.map { [$0.slope, $0.intercept] }).count > 1 { metadata.frameRescales = rescales }
        var buffer = [UInt8](repeating: 0, count: layout.frameBytes + (layout.frameBytes & 1))
        var parts = [Samples]()
        var photometric = layout.photometric
        let packedBits = layout.bitsAllocated == 1 ? try bitPackedPixels(file, layout: layout) : nil
        for f in wanted {
            if let packedBits {
                let n = layout.rows * layout.columns * layout.samples
                parts.append(.uint8(Array(packedBits[f * n ..< (f + 1) * n])))
                continue
            }
            let colour = try file.decodeFrame(f, into: &buffer, threads: options.decoderThreads)
            if layout.samples == 3 && colour.hasPrefix("YBR_FULL") && layout.bitsAllocated == 8 {
                var bytes = Array(buffer[0 ..< layout.frameBytes])
                ColorConversion.ybrFullToRGB(&bytes)
                photometric = "RGB"
                parts.append(.uint8(bytes))
                continue
            }
            if layout.samples == 3 {
                photometric = colour.isEmpty ? layout.photometric : colour
            }
            parts.append(buffer.withUnsafeBytes { samples(from: UnsafeRawBufferPointer(rebasing: $0[0 ..< layout.frameBytes]), layout: layout) })
        }
        metadata.photometric = photometric
        var pixels = PixelArray(frames: wanted.count, rows: layout.rows, columns: layout.columns,
                                samplesPerPixel: layout.samples, samples: Samples.concatenating(parts)!)
        if options.forceGray && pixels.samplesPerPixel == 3 {
            pixels = ColorConversion.luma(pixels)
            metadata.photometric = "MONOCHROME2"
        }
        let masks = segmentationMasks(file, pixels: pixels, frames: wanted)
        let provenanceFrame: Int? = wanted.count == 1 && layout.frames > 1 ? wanted[0] : nil
        return MedicalImage(pixels: pixels, geometry: geometry(file, frame: wanted.first ?? 0), metadata: metadata, masks: masks,
                            provenance: Provenance(sourcePath: path, frame: provenanceFrame),
                            patient: file.string(Tag.patientID).map {
                                PatientIdentity(id: $0, name: file.string(Tag.patientName))
                            })
    }

    /// Unpacks 1-bit native pixel data (DICOM SEG, overlays as images): bits run on across
    /// frames, least significant bit first.
    static func bitPackedPixels(_ file: borrowing DICOMFile, layout: Layout) throws(DICOMError) -> [UInt8] {
        guard !file.isEncapsulated else {
            throw DICOMError(.unsupported, path: file.path, "1-bit pixel data in a compressed transfer syntax is not supported")
        }
        guard let bytes = file.bytes(Tag.pixelData) else {
            throw DICOMError(.corrupt, path: file.path, "Pixel Data (7FE0,0010) is empty or unreadable")
        }
        let count = layout.rows * layout.columns * layout.samples * layout.frames
        guard bytes.count * 8 >= count else {
            throw DICOMError(.corrupt, path: file.path, "pixel data is shorter than the frames it claims (truncated file?)")
        }
        return (0 ..< count).map { (bytes[$0 >> 3] >> UInt8($0 & 7)) & 1 }
    }

    /// DICOM SEG: each decoded frame is the mask of the segment its per-frame functional
    /// group references, named after the segment label.
    static func segmentationMasks(_ file: borrowing DICOMFile, pixels: PixelArray, frames: [Int]) -> [String: Mask] {
        guard file.string(Tag.sopClass) == "1.2.840.10008.5.1.4.1.1.66.4", pixels.samplesPerPixel == 1 else { return [:] }
        var masks = [String: Mask]()
        for (i, f) in frames.enumerated() {
            let segment = file.int("\(Tag.perFrameGroups)/\(f)/0062,000A/0/0062,000B") ?? 1
            let label = file.string("0062,0002/\(segment - 1)/0062,0005") ?? "segment \(segment)"
            let values = pixels.frame(i).samples.floats().map { UInt8($0 > 0 ? 1 : 0) }
            let name = frames.count == 1 ? label : "\(label) frame \(f)"
            masks[name] = Mask(rows: pixels.rows, columns: pixels.columns, values: values)
        }
        return masks
    }

    /// Converts one decoded frame (host byte order) to typed samples, sign-extending signed
    /// data from Bits Stored and masking unused high bits of unsigned data, in one pass.
    static func samples(from raw: UnsafeRawBufferPointer, layout: Layout) -> Samples {
        let bits = layout.bitsStored
        switch layout.bitsAllocated {
        case 8:
            if layout.isSigned { return .int16(convert(raw, from: UInt8.self) { Int16(truncatingIfNeeded: signExtend(UInt32($0), bits: bits)) }) }
            let mask = bits < 8 ? UInt8((1 << bits) - 1) : UInt8.max
            return .uint8(convert(raw, from: UInt8.self) { $0 & mask })
        case 16:
            if layout.isSigned { return .int16(convert(raw, from: UInt16.self) { Int16(truncatingIfNeeded: signExtend(UInt32($0), bits: bits)) }) }
            let mask = bits < 16 ? UInt16((1 << bits) - 1) : UInt16.max
            return .uint16(convert(raw, from: UInt16.self) { $0 & mask })
        default:
            if layout.isSigned { return .int32(convert(raw, from: UInt32.self) { signExtend($0, bits: bits) }) }
            let mask = bits < 32 ? UInt32((UInt64(1) << bits) - 1) : UInt32.max
            return .uint32(convert(raw, from: UInt32.self) { $0 & mask })
        }
    }

    /// `transform` applied to every `Source` value in `raw` (which need not be aligned).
    @inline(__always)
    static func convert<Source: FixedWidthInteger, Target>(_ raw: UnsafeRawBufferPointer, from _: Source.Type,
                                                           _ transform: (Source) -> Target) -> [Target] {
        let n = raw.count / MemoryLayout<Source>.size
        return [Target](unsafeUninitializedCapacity: n) { out, count in
            for i in 0 ..< n { out[i] = transform(raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Source>.size, as: Source.self)) }
            count = n
        }
    }

    @inline(__always)
    static func signExtend(_ value: UInt32, bits: Int) -> Int32 {
        let shift = UInt32(32 - bits)
        return Int32(bitPattern: value << shift) >> shift
    }

    static func describeValues(_ file: borrowing DICOMFile, layout: Layout, frame: Int = 0) -> ImageMetadata {
        var m = ImageMetadata()
        m.format = "DICOM"
        m.modality = file.string(Tag.modality)
        m.photometric = layout.photometric
        m.bitsAllocated = layout.bitsAllocated
        m.bitsStored = layout.bitsStored
        m.isSigned = layout.isSigned
        m.transferSyntax = file.transferSyntax
        m.studyUID = file.string(Tag.studyUID)
        m.seriesUID = file.string(Tag.seriesUID)
        m.instanceUID = file.string(Tag.sopInstance)
        m.instanceNumber = file.int(Tag.instanceNumber)
        m.seriesDescription = file.string(Tag.seriesDescription)
        // Enhanced multi-frame objects keep rescale and window in the functional groups.
        m.rescale = rescale(file, frame: frame)
        if let path = attribute(file, frame: frame, group: Tag.pixelValueTransform, Tag.rescaleType) {
            m.rescaleType = file.string(path)
        }
        if let centerPath = attribute(file, frame: frame, group: Tag.frameVOI, Tag.windowCenter),
           let widthPath = attribute(file, frame: frame, group: Tag.frameVOI, Tag.windowWidth),
           let centers = file.numbers(centerPath), let widths = file.numbers(widthPath) {
            var function: String?
            if let path = attribute(file, frame: frame, group: Tag.frameVOI, Tag.windowFunction) {
                function = file.string(path)?.split(separator: "\\").first.map(String.init)
            }
            m.windows = zip(centers, widths).filter { $0.1 >= 1 }.map {
                Window(center: $0.0, width: $0.1, function: function ?? "LINEAR")
            }
        }
        if file.count(Tag.voiLUT) ?? 0 > 0 {
            m.voiLUT = lookupTable(file, descriptor: "\(Tag.voiLUT)/0/\(Tag.lutDescriptor)",
                                   data: "\(Tag.voiLUT)/0/\(Tag.lutData)", signedFirst: layout.isSigned)
        }
        if layout.photometric == "PALETTE COLOR" {
            let tables = (0 ..< 3).compactMap {
                lookupTable(file, descriptor: Tag.paletteDescriptors[$0], data: Tag.paletteData[$0], signedFirst: false)
            }
            if tables.count == 3 { m.palette = Palette(red: tables[0], green: tables[1], blue: tables[2]) }
        }
        return m
    }

    /// A LUT from its descriptor (entries, first mapped value, bits) and data; 8-bit tables
    /// stored two entries per word are unpacked.
    static func lookupTable(_ file: borrowing DICOMFile, descriptor: String, data: String, signedFirst: Bool) -> LookupTable? {
        guard let d = file.numbers(descriptor), d.count == 3, var words = file.words(data),
              let count = Int(exactly: d[0]), var first = Int(exactly: d[1]), let bits = Int(exactly: d[2]),
              (0 ... 65535).contains(count), (0 ... 65535).contains(first) || first < 0 else { return nil }
        let entries = count == 0 ? 65536 : count
        if signedFirst && first > 32767 { first -= 65536 }
        if bits == 8 && words.count * 2 >= entries && words.count < entries {
            words = words.flatMap { [$0 & 0xFF, $0 >> 8] }
        }
        guard words.count >= entries, bits > 0, bits <= 16 else { return nil }
        return LookupTable(firstMapped: first, bits: bits, data: Array(words[0 ..< entries]))
    }

    /// The path of an attribute of `frame` (PS3.3 C.7.6.16): in the frame's own functional
    /// group of `group` first, then in the shared one, then at the top level; nil when absent.
    static func attribute(_ file: borrowing DICOMFile, frame: Int, group: String, _ tag: String) -> String? {
        let candidates = ["\(Tag.perFrameGroups)/\(frame)/\(group)/0/\(tag)", "\(Tag.sharedGroups)/0/\(group)/0/\(tag)", tag]
        return candidates.first { file.count($0) ?? 0 > 0 }
    }

    /// Rescale slope and intercept of `frame` (functional groups first).
    static func rescale(_ file: borrowing DICOMFile, frame: Int) -> Rescale {
        let slope = attribute(file, frame: frame, group: Tag.pixelValueTransform, Tag.rescaleSlope)
        let intercept = attribute(file, frame: frame, group: Tag.pixelValueTransform, Tag.rescaleIntercept)
        return Rescale(slope: slope.flatMap { file.number($0) } ?? 1, intercept: intercept.flatMap { file.number($0) } ?? 0)
    }

    /// Geometry of `frame`: spacing, thickness, position and orientation (functional groups first).
    static func geometry(_ file: borrowing DICOMFile, frame: Int = 0) -> Geometry {
        let spacing = attribute(file, frame: frame, group: Tag.pixelMeasures, Tag.pixelSpacing)
        let thickness = attribute(file, frame: frame, group: Tag.pixelMeasures, Tag.sliceThickness)
        let position = attribute(file, frame: frame, group: Tag.planePosition, Tag.position)
        let orientation = attribute(file, frame: frame, group: Tag.planeOrientation, Tag.orientation)
        return Geometry(
            pixelSpacingMM: spacing.flatMap { file.numbers($0) } ?? file.numbers(Tag.imagerPixelSpacing),
            sliceThicknessMM: thickness.flatMap { file.number($0) },
            imagePositionMM: position.flatMap { file.numbers($0) },
            imageOrientation: orientation.flatMap { file.numbers($0) })
    }

    /// Describes a file without decoding pixels.
    public static func describe(path: String, showPHI: Bool) throws -> FileDescription {
        try describe(DICOMFile(path: path), showPHI: showPHI)
    }

    static func describe(_ file: borrowing DICOMFile, showPHI: Bool) -> FileDescription {
        var d = FileDescription(path: file.path, format: .dicom)
        d.transferSyntax = file.transferSyntax
        d.modality = file.string(Tag.modality)
        d.seriesUID = file.string(Tag.seriesUID)
        d.studyUID = file.string(Tag.studyUID)
        d.instanceNumber = file.int(Tag.instanceNumber)
        d.sliceLocationMM = file.number(Tag.sliceLocation)
        if showPHI {
            d.patientID = file.string(Tag.patientID)
            d.patientName = file.string(Tag.patientName)
        }
        if let layout = try? layout(file) {
            d.rows = layout.rows
            d.columns = layout.columns
            d.frames = layout.frames
            d.samplesPerPixel = layout.samples
            d.sampleType = layout.sampleType
            d.bitsStored = layout.bitsStored
            d.photometric = layout.photometric
            let values = describeValues(file, layout: layout)
            d.rescale = values.rescale
            d.windows = values.windows
            d.hasVOILUT = values.voiLUT != nil
            d.pixelSpacingMM = geometry(file).pixelSpacingMM
        } else {
            d.notes = ["no decodable image (no Pixel Data, or an unsupported layout)"]
        }
        return d
    }
}
