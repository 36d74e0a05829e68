/// What the source says about how to interpret its stored values.
public struct ImageMetadata: Sendable, Codable, Equatable {
    public var format: String = ""
    public var modality: String?
    /// Photometric interpretation of `pixels` as decoded (`MONOCHROME2`, `RGB`, `PALETTE COLOR`, …).
    public var photometric: String = "MONOCHROME2"
    public var bitsAllocated: Int?
    public var bitsStored: Int?
    public var isSigned: Bool = false
    public var rescale: Rescale = .identity
    /// The rescale of each frame as read, when frames differ (enhanced multi-frame objects give
    /// each frame its own); nil when `rescale` holds for every frame.
    public var frameRescales: [Rescale]?
    /// DICOM Rescale Type (0028,1054): `HU`, `US` (unspecified), …, when the file says.
    public var rescaleType: String?
    public var windows: [Window] = []
    public var voiLUT: LookupTable?
    public var palette: Palette?
    public var transferSyntax: String?
    public var studyUID: String?
    public var seriesUID: String?
    public var instanceUID: String?
    public var instanceNumber: Int?
    public var seriesDescription: String?
    /// The label of the figshare / NIH record, when the source has one.
    public var label: String?

    public init() {}
}

/// The linear modality transform (DICOM Rescale Slope/Intercept): value = stored × slope + intercept.
public struct Rescale: Sendable, Codable, Equatable {
    public var slope: Double
    public var intercept: Double

    public init(slope: Double, intercept: Double) {
        self.slope = slope
        self.intercept = intercept
    }

    public static let identity = Rescale(slope: 1, intercept: 0)
    public var isIdentity: Bool { slope == 1 && intercept == 0 }
}

/// A VOI window (DICOM Window Center/Width, PS3.3 C.11.2.1.2).
public struct Window: Sendable, Codable, Equatable {
    public var center: Double
    public var width: Double
    /// `LINEAR` (default), `LINEAR_EXACT` or `SIGMOID`.
    public var function: String

    public init(center: Double, width: Double, function: String = "LINEAR") {
        self.center = center
        self.width = width
        self.function = function
    }
}

/// A DICOM lookup table: descriptor (entries, first mapped value, bits) and 16-bit data.
public struct LookupTable: Sendable, Codable, Equatable {
    public var firstMapped: Int
    public var bits: Int
    public var data: [UInt16]

    public init(firstMapped: Int, bits: Int, data: [UInt16]) {
        self.firstMapped = firstMapped
        self.bits = bits
        self.data = data
    }

    /// The table's output for input `value` (clamped to the first and last entries).
    @inlinable
    public func lookup(_ value: Int) -> UInt16 {
        let index = Swift.min(Swift.max(value - firstMapped, 0), data.count - 1)
        return data[index]
    }
}

/// A PALETTE COLOR image's red, green and blue tables.
public struct Palette: Sendable, Codable, Equatable {
    public var red: LookupTable
    public var green: LookupTable
    public var blue: LookupTable

    public init(red: LookupTable, green: LookupTable, blue: LookupTable) {
        self.red = red
        self.green = green
        self.blue = blue
    }
}
