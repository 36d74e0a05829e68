/// A family of file errors (one per format or store); gives each its own type and name.
public protocol ErrorDomain: Sendable {
    static var name: String { get }
}

/// A failure reading or writing one file: what, where, and what to do, in one line.
///
/// Messages carry paths, tag numbers and shapes only, never patient data.
public struct FileError<Domain: ErrorDomain>: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The file cannot be opened or is not of this format.
        case unreadable
        /// The file is valid but uses something we do not decode.
        case unsupported
        /// The file is damaged, truncated or inconsistent.
        case corrupt
        /// The header asks for more memory than the limit allows.
        case tooLarge
        /// A named part (variable, frame, level, tag) is not in the file.
        case notFound
        /// The request does not fit this file (region outside the image, …).
        case invalidRequest
        /// Writing the output failed.
        case writeFailed
    }

    public var code: Code
    public var path: String
    public var message: String
    /// The library's own words, when it said something.
    public var underlying: String?

    public init(_ code: Code, path: String, _ message: String, underlying: String? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.underlying = underlying.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String { "\(path): \(reason)" }

    /// The description without the path, for lists that already name the file.
    public var reason: String {
        var text = "\(Domain.name): \(message)"
        if let underlying, underlying != message { text += " (\(underlying))" }
        return text
    }
}

/// An error about one file, that can be said without its path after a line naming the file.
public protocol FileProblem: Error {
    var path: String { get }
    var reason: String { get }
}

extension FileError: FileProblem {}

public enum DICOMDomain: ErrorDomain { public static let name = "DICOM" }
public enum MATDomain: ErrorDomain { public static let name = "MATLAB" }
public enum TIFFDomain: ErrorDomain { public static let name = "TIFF" }
public enum PNGDomain: ErrorDomain { public static let name = "PNG" }
public enum NPYDomain: ErrorDomain { public static let name = "NPY" }
public enum JPEGDomain: ErrorDomain { public static let name = "JPEG" }
public enum BMPDomain: ErrorDomain { public static let name = "BMP" }
public enum InputDomain: ErrorDomain { public static let name = "input" }

public typealias DICOMError = FileError<DICOMDomain>
public typealias MATError = FileError<MATDomain>
public typealias TIFFError = FileError<TIFFDomain>
public typealias PNGError = FileError<PNGDomain>
public typealias NPYError = FileError<NPYDomain>
public typealias JPEGError = FileError<JPEGDomain>
public typealias BMPError = FileError<BMPDomain>
/// A file whose format is unknown, missing, or that a limit refuses before any reader runs.
public typealias InputError = FileError<InputDomain>
