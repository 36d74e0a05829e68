public import MedImage

/// DICOM Segmentation objects (SEG): masks of the series they reference, never images.
public enum DICOMSegmentation {
    /// What one frame of a SEG was drawn on: the SOP Instance UID of its source image (Derivation
    /// Image Sequence › Source Image Sequence) and its position (Plane Position Sequence).
    public struct FrameReference: Sendable, Equatable {
        public var sopInstanceUID: String?
        public var positionMM: [Double]?
    }

    /// The frame references of the SEG at `path`, one per frame.
    public static func frameReferences(path: String) throws -> [FrameReference] {
        let file = try DICOMFile(path: path)
        let frames = max(file.int(DICOMReader.Tag.frames) ?? 1, 1)
        guard frames <= 1 << 20 else {
            throw DICOMError(.tooLarge, path: path, "the segmentation claims \(frames) frames")
        }
        return (0 ..< frames).map { f in
            let group = "\(DICOMReader.Tag.perFrameGroups)/\(f)/"
            return FrameReference(sopInstanceUID: file.string(group + "0008,9124/0/0008,2112/0/0008,1155"),
                                  positionMM: DICOMReader.geometry(file, frame: f).imagePositionMM)
        }
    }

    /// The union of `frames` of the SEG at `path` (every segment), as one mask.
    public static func mask(path: String, frames: [Int], maxBytes: Int) throws -> Mask {
        var options = ReadOptions()
        options.maxBytes = maxBytes
        let image = try DICOMReader.read(path: path, options: options)
        let p = image.pixels
        guard p.samplesPerPixel == 1 else {
            throw DICOMError(.unsupported, path: path, "a segmentation with \(p.samplesPerPixel) samples per pixel")
        }
        var values = [UInt8](repeating: 0, count: p.rows * p.columns)
        for f in frames {
            guard f >= 0 && f < p.frames else {
                throw DICOMError(.notFound, path: path, "frame \(f) does not exist (the segmentation has \(p.frames))")
            }
            for (i, v) in p.frame(f).samples.floats().enumerated() where v > 0 { values[i] = 1 }
        }
        return Mask(rows: p.rows, columns: p.columns, values: values)
    }
}
