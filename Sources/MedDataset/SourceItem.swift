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

    public init(path: String, label: String? = nil) {
        self.path = path
        self.label = label
    }
}

/// An image ready for tiling: one frame, pixels as read, with its mask and where it came from.
struct SourceImage {
    var pixels: PixelArray
    var rescale: Rescale = .identity
    var mask: Mask?
    /// Raw patient id; hashed before it is stored.
    var patient: String?
    var label: String?
    var frame: Int?
    var level: Int?
}
