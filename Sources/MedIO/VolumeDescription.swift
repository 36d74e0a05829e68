/// What `inspect` reports about a NIfTI volume's header (no voxels are read).
public struct VolumeDescription: Sendable, Codable, Equatable {
    /// 1 (NIfTI-1) or 2 (NIfTI-2).
    public var niftiVersion: Int
    /// `single` (.nii, .nii.gz) or `pair` (.hdr with .img).
    public var storage: String
    public var gzip: Bool
    /// Sizes of every declared dimension (i, j, k, then time and beyond).
    public var dimensions: [Int]
    /// Voxel size along i, j, k in millimetres.
    public var voxelSizeMM: [Double]
    /// Time between volumes in seconds, for 4-D files that say so.
    public var timeStepSeconds: Double?
    /// NIfTI datatype (`int16`, `float32`, `rgb24`, …) as stored.
    public var datatype: String
    /// What MedSR reads it as (`int16` for int8, `float32` for float64, …).
    public var readAs: String?
    public var sclSlope: Double
    public var sclInter: Double
    public var qformCode: Int
    public var sformCode: Int
    /// `sform`, `qform`, or `none` when both codes are 0.
    public var affineSource: String
    /// Voxel (i, j, k) to world (x, y, z) in mm, row-major 4×4 (NIfTI's RAS+ world).
    public var affine: [[Double]]?
    /// Where the i, j, k axes point (`RAS`, `LPS`, `LAS`, …), from the affine.
    public var orientation: String?
    /// Number of 3-D volumes (1 for a 3-D file).
    public var volumes: Int
}
