/// An image as read from a source file: pixels (stored values), geometry, metadata, masks,
/// and where it came from. Patient identity is held apart and never printed.
public struct MedicalImage: Sendable {
    public var pixels: PixelArray
    public var geometry: Geometry
    public var metadata: ImageMetadata
    /// Named masks (`tumorMask`, DICOM SEG segments, …), each `rows × columns`.
    public var masks: [String: Mask]
    public var provenance: Provenance
    /// Who the image belongs to; redacted in every description.
    public var patient: PatientIdentity?

    public init(pixels: PixelArray, geometry: Geometry = Geometry(), metadata: ImageMetadata = ImageMetadata(),
                masks: [String: Mask] = [:], provenance: Provenance, patient: PatientIdentity? = nil) {
        self.pixels = pixels
        self.geometry = geometry
        self.metadata = metadata
        self.masks = masks
        self.provenance = provenance
        self.patient = patient
    }
}

/// Physical geometry, in millimetres, when the source records it.
public struct Geometry: Sendable, Codable, Equatable {
    /// Spacing between rows and between columns (DICOM PixelSpacing order), in mm.
    public var pixelSpacingMM: [Double]?
    public var sliceThicknessMM: Double?
    /// Position of the first voxel (DICOM ImagePositionPatient), in mm.
    public var imagePositionMM: [Double]?
    /// Row and column direction cosines (DICOM ImageOrientationPatient).
    public var imageOrientation: [Double]?

    public init(pixelSpacingMM: [Double]? = nil, sliceThicknessMM: Double? = nil,
                imagePositionMM: [Double]? = nil, imageOrientation: [Double]? = nil) {
        self.pixelSpacingMM = pixelSpacingMM
        self.sliceThicknessMM = sliceThicknessMM
        self.imagePositionMM = imagePositionMM
        self.imageOrientation = imageOrientation
    }

    /// The slice normal (row × column direction), when the orientation is known.
    public var sliceNormal: [Double]? {
        guard let o = imageOrientation, o.count == 6 else { return nil }
        return [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]]
    }
}

/// A binary mask: nonzero source values become 1.
public struct Mask: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// Row-major 0/1 values.
    public var values: [UInt8]

    public init(rows: Int, columns: Int, values: [UInt8]) {
        precondition(values.count == rows * columns)
        self.rows = rows
        self.columns = columns
        self.values = values.contains { $0 > 1 } ? values.map { $0 == 0 ? 0 : 1 } : values
    }

    /// The sub-rectangle `(x, y, width, height)`, as `PixelArray.cropped` does for pixels.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> Mask {
        let pixels = PixelArray(rows: rows, columns: columns, samples: .uint8(values))
            .cropped(x: x, y: y, width: width, height: height)
        guard case .uint8(let v) = pixels.samples else { preconditionFailure("uint8 in, uint8 out") }
        var out = self
        (out.rows, out.columns, out.values) = (height, width, v)  // already 0/1
        return out
    }

    /// True when no pixel is inside.
    public var isEmpty: Bool { !values.contains { $0 != 0 } }

    /// Fraction of pixels inside the mask (0…1).
    public var fraction: Double {
        values.isEmpty ? 0 : Double(values.reduce(0) { $0 &+ Int($1) }) / Double(values.count)
    }
}

/// Where an image came from: enough to find its pixels in the source again.
public struct Provenance: Sendable, Codable, Equatable {
    public var sourcePath: String
    public var frame: Int?
    public var slice: Int?
    public var level: Int?
    /// x, y, width, height in the level's pixels.
    public var region: [Int]?

    public init(sourcePath: String, frame: Int? = nil, slice: Int? = nil, level: Int? = nil, region: [Int]? = nil) {
        self.sourcePath = sourcePath
        self.frame = frame
        self.slice = slice
        self.level = level
        self.region = region
    }
}

/// Patient identifiers, kept out of every description, log and error.
public struct PatientIdentity: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The source's patient id (DICOM PatientID, figshare PID, NIH Patient ID).
    public var id: String
    public var name: String?

    public init(id: String, name: String? = nil) {
        self.id = id
        self.name = name
    }

    public var description: String { "<patient redacted>" }
    public var debugDescription: String { description }
}
