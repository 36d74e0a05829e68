import MedImage
import Foundation

/// What to read from a file.
public struct ReadOptions: Sendable {
    public enum Frames: Sendable, Equatable {
        case all
        case index(Int)
    }

    /// Which frames of a multi-frame image (DICOM) to decode.
    public var frames: Frames = .all
    /// Pyramid level of a slide (0 = full resolution).
    public var level: Int = 0
    /// x, y, width, height in the level's pixels; nil for the whole image.
    public var region: Region?
    /// Turn colour into one luminance channel (ITU-R 601-2, as Pillow's "L").
    public var forceGray: Bool = false
    /// A MATLAB variable to read instead of the figshare `cjdata.image` (e.g. `cjdata.tumorMask`).
    public var variable: String?
    /// Refuse anything whose decoded pixels would exceed this many bytes.
    public var maxBytes: Int = 4 << 30
    /// Threads one frame's decoder may use (JPEG 2000 only; the pixels do not depend on it).
    /// Leave it at 1 when decoding many files at once, one per thread.
    public var decoderThreads: Int = 1
    /// NIfTI: the voxel axis slices are cut across (0 = i, 1 = j, 2 = k); nil for k, the
    /// acquisition's slice axis. Frames of the result are those slices.
    public var axis: Int?
    /// NIfTI: which 3-D volume of a 4-D file (0-based).
    public var volume: Int = 0

    public init() {}
}

/// A rectangle in pixels.
public struct Region: Sendable, Equatable, Codable {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Parses `x,y,w,h`.
    public init?(argument: String) {
        let parts = argument.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, parts[0] >= 0, parts[1] >= 0, parts[2] > 0, parts[3] > 0 else { return nil }
        self.init(x: parts[0], y: parts[1], width: parts[2], height: parts[3])
    }
}

/// The byte budget check every reader runs before it allocates pixels.
func checkBudget(path: String, rows: Int, columns: Int, samples: Int, bytesPerSample: Int, frames: Int,
                 limit: Int) -> InputError? {
    let (a, o1) = rows.multipliedReportingOverflow(by: columns)
    let (b, o2) = a.multipliedReportingOverflow(by: samples)
    let (c, o3) = b.multipliedReportingOverflow(by: bytesPerSample)
    let (d, o4) = c.multipliedReportingOverflow(by: max(frames, 1))
    if o1 || o2 || o3 || o4 || d > limit {
        return InputError(.tooLarge, path: path,
                          "header claims \(rows)×\(columns)×\(samples) samples × \(frames) frames, over the \(limit >> 20) MiB limit (raise it with --max-mb)")
    }
    return nil
}
