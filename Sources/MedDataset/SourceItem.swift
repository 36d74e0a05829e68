import MedImage

/// One source file (or slide, or slice) to tile, in build order. Holds the raw patient id
/// only in memory: it is hashed before anything is written.
public struct SourceItem: Sendable {
    /// Path relative to the input folder.
    public var path: String
    /// Raw patient id when the listing knows it (NIH CSV); otherwise read from the file.
    var patient: String?
    public var label: String?
    /// `trainval` or `test` from an official list.
    public var official: String?
    /// figshare cross-validation fold (1–5).
    public var fold: Int?
    /// Slice index within its series (DICOM folders).
    public var slice: Int?
    /// NIH boxes `x, y, w, h` in 1024-pixel image space.
    public var boxes: [[Double]] = []
    /// DICOM: segmentation frames drawn on this slice (their union is the `seg` mask).
    public var segmentation: [SegmentationFrame] = []
    /// Values of the recipe's own manifest columns (`Recipe.extraColumns`), in order.
    public var columns: [String] = []
    /// With a recipe context: the images stacked as channels (paths relative to the input,
    /// −R … +R, this item's own path in the middle).
    public var context: [String] = []
    /// Sunnybrook: the expert contours drawn on this image.
    public var contours: SunnybrookContours?
    /// Mask images by mask name (CVC polyp, specular, contour), relative to the input.
    public var maskFiles: [String: String] = [:]
    /// NIfTI volumes: the label map of this volume, relative to the input.
    public var labelVolume: String?
    /// NIfTI volumes: which 3-D volume of a 4-D file this item is (0-based).
    public var volume: Int?

    public struct SegmentationFrame: Sendable, Equatable {
        /// The SEG file, relative to the input folder.
        public var path: String
        public var frame: Int
    }

    public init(path: String, label: String? = nil) {
        self.path = path
        self.label = label
    }
}

/// An image ready for tiling: one frame, pixels as read, with its mask and where it came from.
struct SourceImage {
    var pixels: PixelArray
    var rescale: Rescale = .identity
    /// What the values are (DICOM Modality and Rescale Type): a CT window applies only to HU.
    var modality: String?
    var rescaleType: String?
    /// One mask per name of the recipe's `masks`, in order; empty when the image has none.
    var masks: [Mask] = []
    /// With a recipe context: the stacked images (−R … +R, `pixels` in the middle), mapped
    /// through `pixels`' window and stored as channels.
    var context: [PixelArray] = []
    /// Raw patient id; hashed before it is stored.
    var patient: String?
    var label: String?
    var frame: Int?
    var level: Int?
    /// A window chosen for a whole volume (all its slices); nil: chosen per image.
    var window: IntensityWindow?
}

/// What one DICOM series of the input became, for the dataset card and the build's summary.
public struct SeriesPlan: Sendable, Equatable {
    /// 1-based, in the listing's order.
    public var series: Int
    public var modality: String
    public var files: Int
    /// The series' first file, relative to the input.
    public var first: String
    /// "2 stacks (b-value 0, 1000) of 3 slices", when the series has several.
    public var stacks: String?
    /// Images and their intensity mapping, masks of another series, or why it was left out.
    public var use: String

    /// One line for the console.
    public var line: String {
        "series \(series) (\(modality), \(files) file\(files == 1 ? "" : "s"), \(first)\(stacks.map { ", " + $0 } ?? "")): \(use)"
    }
}
