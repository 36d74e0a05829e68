public import MedImage

/// What `inspect` reports about one file, without decoding its pixels.
public struct FileDescription: Sendable, Codable {
    public var path: String
    public var format: ImageFormat
    public var rows: Int?
    public var columns: Int?
    public var frames: Int?
    public var samplesPerPixel: Int?
    public var sampleType: SampleType?
    public var bitsStored: Int?
    public var photometric: String?
    public var modality: String?
    public var transferSyntax: String?
    public var pixelSpacingMM: [Double]?
    public var rescale: Rescale?
    public var windows: [Window]?
    public var hasVOILUT: Bool?
    public var seriesUID: String?
    public var studyUID: String?
    public var instanceNumber: Int?
    public var sliceLocationMM: Double?
    public var levels: [LevelDescription]?
    public var variables: [VariableDescription]?
    public var masks: [String]?
    public var label: String?
    /// NIfTI header facts (dimensions, voxel size, affine, orientation).
    public var volume: VolumeDescription?
    /// Only with `--show-phi`.
    public var patientID: String?
    public var patientName: String?
    public var notes: [String]?

    public init(path: String, format: ImageFormat) {
        self.path = path
        self.format = format
    }
}

/// One resolution level of a TIFF pyramid.
public struct LevelDescription: Sendable, Codable, Equatable {
    public var level: Int
    public var width: Int
    public var height: Int
    public var tileWidth: Int?
    public var tileHeight: Int?
    public var compression: String
    /// `page` (a chain of reduced-resolution directories) or `subifd`.
    public var source: String
}

/// One MATLAB variable (struct fields as `var.field`).
public struct VariableDescription: Sendable, Codable, Equatable {
    public var name: String
    public var matlabClass: String
    public var dimensions: [Int]
}
