public import Foundation
public import Zarr

/// How to turn one kind of source into the common tiled dataset. One JSON file per source
/// kind lives in `Manifests/`; every field can be overridden from the command line.
public struct Recipe: Codable, Sendable, Equatable {
    public enum SourceKind: String, Codable, Sendable {
        /// figshare brain-tumour MATLAB files (`1.mat` … `3064.mat`, `cvind.mat`).
        case figshare
        /// NIH ChestX-ray14 (`images/*.png`, `Data_Entry_2017*.csv`, official lists, boxes).
        case nih
        /// A folder of DICOM series.
        case dicom
        /// Pyramidal TIFF microscope slides.
        case slides
        /// Any folder of 2-D images MedSR reads (PNG, TIFF, DICOM, MATLAB): the patient is the
        /// first folder under the input (or the file name for files at the top).
        case images

        /// What separates the findings of one image in a multi-label source (NIH's
        /// `Finding Labels` are `Atelectasis|Effusion`); nil: one label per image.
        public var labelSeparator: Character? { self == .nih ? "|" : nil }
    }

    public var name: String
    public var source: SourceKind
    public var description: String?
    /// Sub-folder of the input holding the images ("" = the input itself).
    public var images: String = ""
    /// Metadata files by role, relative to the input (`entries`, `boxes`, `trainVal`, `test`, `folds`).
    public var metadata: [String: String] = [:]
    public var intensity: Intensity = .init(mode: .identity)
    /// 8 or 16: the stored tile type (uint8 or uint16).
    public var bits: Int = 8
    /// 1 (gray; colour sources are reduced to luma) or 3 (RGB).
    public var channels: Int = 1
    /// Masks to store: `tumorMask` (figshare), `boxes` (NIH), `seg` (DICOM SEG); empty for none.
    public var masks: [String] = []
    public var split: Split = .init()
    public var tile: Int = 256
    public var stride: Int = 256
    public var scales: [Int] = [2, 4]
    public var filters: Filters = .init()
    /// Slides: the pyramid level to tile (0 = full resolution).
    public var level: Int = 0
    public var tilesPerShard: Int = 128
    /// `none`, `zstd` or `zstd:LEVEL`.
    public var compression: String = "zstd"
    /// Source files per work unit (the grain of resuming and of `--shard`).
    public var unitSize: Int = 16

    public struct Intensity: Codable, Sendable, Equatable {
        public enum Mode: String, Codable, Sendable {
            /// Stored values as they are (uint8 → uint8, uint16 → uint16); lo/hi = the type's range.
            case identity
            /// Per image: the `low` and `high` percentiles of the (modality) values map to 0 and max.
            case percentile
            /// A fixed window in modality units (HU for CT): `center`/`width`, or a named `preset`.
            case window
            /// Per image: minimum and maximum.
            case minmax
            /// `identity` for images already in the tile type (8-bit for 8-bit tiles), else
            /// `percentile` with `low`/`high` (default 0.5/99.5).
            case auto
        }

        public var mode: Mode
        public var low: Double?
        public var high: Double?
        public var center: Double?
        public var width: Double?
        /// CT presets: `brain` 40/80, `subdural` 75/215, `stroke` 40/40, `lung` −600/1500,
        /// `mediastinum` 50/350, `abdomen` 40/400, `liver` 60/160, `bone` 400/1800.
        public var preset: String?

        public init(mode: Mode, low: Double? = nil, high: Double? = nil, center: Double? = nil, width: Double? = nil,
                    preset: String? = nil) {
            self.mode = mode
            self.low = low
            self.high = high
            self.center = center
            self.width = width
            self.preset = preset
        }

        public static let presets: [String: (center: Double, width: Double)] = [
            "brain": (40, 80), "subdural": (75, 215), "stroke": (40, 40), "lung": (-600, 1500),
            "mediastinum": (50, 350), "abdomen": (40, 400), "liver": (60, 160), "bone": (400, 1800),
        ]
    }

    public struct Split: Codable, Sendable, Equatable {
        public enum Policy: String, Codable, Sendable {
            /// Keyed hash of the patient id: stable when patients are added.
            case patient
            /// The source's official lists (NIH: test_list.txt; validation carved by patient).
            case official
            /// figshare `cvind.mat`: `testFold` is the test split; validation carved by patient.
            case fold
        }

        public var policy: Policy = .patient
        /// Percentages train/val/test, summing to 100.
        public var ratios: [Int] = [70, 15, 15]
        public var seed: String = "medsr"
        public var testFold: Int?
        public init() {}
    }

    public struct Filters: Codable, Sendable, Equatable {
        /// Drop tiles whose foreground covers less than this fraction (0…1).
        public var minForeground: Double = 0.1
        /// A pixel is foreground when its tile value exceeds this fraction of the output range.
        public var foregroundLevel: Double = 0.05
        /// Slides: foreground by Otsu's threshold on saturation (tissue) instead of brightness.
        public var tissue: Bool = false
        /// Add one tile centred on every connected mask component (so every tumour is covered).
        public var centreOnMasks: Bool = false
        public init() {}
    }

    public init(name: String, source: SourceKind) {
        self.name = name
        self.source = source
    }

    // Every field but name and source is optional in the file.
    enum CodingKeys: String, CodingKey {
        case name, source, description, images, metadata, intensity, bits, channels, masks, split, tile, stride, scales,
             filters, level, tilesPerShard, compression, unitSize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), source: try c.decode(SourceKind.self, forKey: .source))
        description = try c.decodeIfPresent(String.self, forKey: .description)
        images = try c.decodeIfPresent(String.self, forKey: .images) ?? images
        metadata = try c.decodeIfPresent([String: String].self, forKey: .metadata) ?? metadata
        intensity = try c.decodeIfPresent(Intensity.self, forKey: .intensity) ?? intensity
        bits = try c.decodeIfPresent(Int.self, forKey: .bits) ?? bits
        channels = try c.decodeIfPresent(Int.self, forKey: .channels) ?? channels
        masks = try c.decodeIfPresent([String].self, forKey: .masks) ?? masks
        split = try c.decodeIfPresent(Split.self, forKey: .split) ?? split
        tile = try c.decodeIfPresent(Int.self, forKey: .tile) ?? tile
        stride = try c.decodeIfPresent(Int.self, forKey: .stride) ?? stride
        scales = try c.decodeIfPresent([Int].self, forKey: .scales) ?? scales
        filters = try c.decodeIfPresent(Filters.self, forKey: .filters) ?? filters
        level = try c.decodeIfPresent(Int.self, forKey: .level) ?? level
        tilesPerShard = try c.decodeIfPresent(Int.self, forKey: .tilesPerShard) ?? tilesPerShard
        compression = try c.decodeIfPresent(String.self, forKey: .compression) ?? compression
        unitSize = try c.decodeIfPresent(Int.self, forKey: .unitSize) ?? unitSize
    }

    /// Problems that make the recipe unusable, one line each (empty when it is valid).
    public func problems() -> [String] {
        var out = [String]()
        if bits != 8 && bits != 16 { out.append("bits must be 8 or 16") }
        if channels != 1 && channels != 3 { out.append("channels must be 1 or 3") }
        if tile < 8 || tile > 4096 { out.append("tile must be 8…4096 pixels") }
        if stride < 1 { out.append("stride must be positive") }
        if scales.isEmpty || scales.contains(where: { $0 < 2 || $0 > 16 }) { out.append("scales must be 2…16") }
        for s in scales where tile % s != 0 { out.append("tile \(tile) is not a multiple of scale \(s)") }
        if split.ratios.count != 3 || split.ratios.reduce(0, +) != 100 || split.ratios.contains(where: { $0 < 0 }) {
            out.append("split must be three percentages summing to 100 (e.g. 70/15/15)")
        }
        if split.policy == .fold && split.testFold == nil { out.append("split policy 'fold' needs testFold") }
        if tilesPerShard < 1 || tilesPerShard > 4096 { out.append("tilesPerShard must be 1…4096") }
        if unitSize < 1 { out.append("unitSize must be positive") }
        if chunkCompression == nil { out.append("compression must be none, zstd or zstd:LEVEL (1…19)") }
        if intensity.mode == .window {
            if let p = intensity.preset, Intensity.presets[p] == nil {
                out.append("unknown window preset '\(p)' (known: \(Intensity.presets.keys.sorted().joined(separator: ", ")))")
            }
            if intensity.preset == nil && (intensity.center == nil || (intensity.width ?? 0) <= 0) {
                out.append("window intensity needs a preset or center and a positive width")
            }
        }
        if intensity.mode == .percentile {
            let lo = intensity.low ?? 0.5, hi = intensity.high ?? 99.5
            if !(lo >= 0 && lo < hi && hi <= 100) { out.append("percentiles must satisfy 0 ≤ low < high ≤ 100") }
        }
        if !(0 ... 1).contains(filters.minForeground) || !(0 ... 1).contains(filters.foregroundLevel) {
            out.append("filters.minForeground and filters.foregroundLevel are fractions 0…1")
        }
        return out
    }

    /// The Zarr codec the `compression` field names; nil when it names none.
    public var chunkCompression: ChunkCompression? { ChunkCompression(argument: compression) }

    /// The recipe as stored in `recipe.json`: sorted keys, two-space indent, byte-stable.
    public func canonicalJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding a plain value type with these options cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    /// Loads a recipe from a file, or by name from the recipe folders (`$MEDSR_MANIFESTS`,
    /// `./Manifests`, and `Manifests` beside the executable's build tree).
    public static func load(_ nameOrPath: String) throws -> Recipe {
        let fm = FileManager.default
        var candidates = [URL(fileURLWithPath: nameOrPath)]
        if !nameOrPath.contains("/") && !nameOrPath.hasSuffix(".json") {
            candidates = searchFolders().map { $0.appendingPathComponent(nameOrPath + ".json") }
        }
        guard let url = candidates.first(where: { fm.fileExists(atPath: $0.path) }) else {
            throw RecipeError(path: nameOrPath, "no such recipe file; looked in \(candidates.map(\.path).joined(separator: ", "))")
        }
        do {
            let recipe = try JSONDecoder().decode(Recipe.self, from: Data(contentsOf: url))
            return recipe
        } catch let error as DecodingError {
            throw RecipeError(path: url.path, "not a valid recipe: \(Self.explain(error))")
        } catch {
            throw RecipeError(path: url.path, "cannot read: \(error.localizedDescription)")
        }
    }

    static func searchFolders() -> [URL] {
        var out = [URL]()
        if let env = ProcessInfo.processInfo.environment["MEDSR_MANIFESTS"] { out.append(URL(fileURLWithPath: env)) }
        out.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Manifests"))
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0 ..< 4 {
            out.append(dir.appendingPathComponent("Manifests"))
            out.append(dir.appendingPathComponent("share/medsr/Manifests"))
            dir = dir.deletingLastPathComponent()
        }
        return out
    }

    static func explain(_ error: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let c): return "missing field '\((c.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "field '\(path(c))' has the wrong type"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not JSON" : "field '\(path(c))': \(c.debugDescription)"
        @unknown default: return "invalid"
        }
    }
}

/// A recipe that cannot be found or parsed.
public struct RecipeError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): recipe: \(message)" }
}
