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
        /// Sunnybrook Cardiac Data: cine short-axis DICOM series per patient folder, expert
        /// contours (`IM-0001-NNNN-{i,o}contour-manual.txt`) and `scd_patientdata.csv`.
        case sunnybrook
        /// Kermany pneumonia chest X-rays: `chest_xray/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg`;
        /// label and patient from the folder and file name.
        case kermany
        /// CVC-ColonDB: `<n>.bmp` frames with `p<n>` polyp, `s<n>` specular and `c<n>` contour masks.
        case colondb
        /// CVC-ClinicDB: `Original/<n>.tif` frames with `Ground Truth/<n>.tif` polyp masks.
        case clinicdb
        /// NIfTI volumes with label maps (BraTS case folders, Medical Segmentation Decathlon
        /// `imagesTr`/`labelsTr`): slices along an axis, masks from label values.
        case nifti

        /// Whether the official splits are reported, not refused, when a patient is in two
        /// of them (Kermany's train and test folders share patients: a known leak of the set).
        public var reportsOfficialLeaks: Bool { self == .kermany }

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
    /// Stack each image with its neighbours in time or space as channels (the "2.5D" input);
    /// nil for one image per tile.
    public var context: Context?
    /// Resize every image to `resize × resize` (Pillow's bicubic; masks by nearest neighbour)
    /// before tiling; nil keeps the images' own sizes.
    public var resize: Int?
    /// NIfTI volumes: the voxel axis slices are cut across (0 = i, 1 = j, 2 = k); nil for k.
    public var axis: Int?
    /// NIfTI volumes: the label values each mask is made of (`tumour: [1, 2, 4]`); nil (not
    /// written to `recipe.json`) for sources without label maps.
    public var labels: [String: [Int]]?

    /// Manifest columns this recipe's source adds after the common ones (`tiles.csv`).
    public var extraColumns: [String] {
        switch source {
        case .sunnybrook: ["slice", "phase", "trigger_time", "contours"]
        case .colondb, .clinicdb: ["sequence"]
        case .nifti: ["modality"]
        default: []
        }
    }

    /// Channels of the stored tiles: `channels`, or 2 × radius + 1 with a context.
    public var tileChannels: Int { context.map { 2 * $0.radius + 1 } ?? channels }

    /// `phases:R` or `slices:R`: each image with R neighbours on each side along that axis, as
    /// channels in order (−R … +R). Phases wrap around (a cine loop is periodic); slices clamp
    /// at the ends of the stack (the first slice repeats itself).
    public struct Context: Codable, Sendable, Equatable, CustomStringConvertible {
        public enum Axis: String, Codable, Sendable { case phases, slices }
        public var axis: Axis
        public var radius: Int

        public init(axis: Axis, radius: Int) {
            self.axis = axis
            self.radius = radius
        }

        /// Parses `phases:1`, `slices:2`; nil for anything else.
        public init?(argument: String) {
            let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let axis = Axis(rawValue: String(parts[0])), let r = Int(parts[1]) else { return nil }
            self.init(axis: axis, radius: r)
        }

        public var description: String { "\(axis.rawValue):\(radius)" }
    }

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
        /// With `window`: how images the window does not fit (not CT in Hounsfield units: MR,
        /// CR, US, NM, photographs) are mapped: `percentile` (with `low`/`high`) when absent.
        public var otherModalities: Mode?

        public init(mode: Mode, low: Double? = nil, high: Double? = nil, center: Double? = nil, width: Double? = nil,
                    preset: String? = nil, otherModalities: Mode? = nil) {
            self.mode = mode
            self.low = low
            self.high = high
            self.center = center
            self.width = width
            self.preset = preset
            self.otherModalities = otherModalities
        }

        /// This recipe's mapping with its window replaced by `window` (a preset name or
        /// center/width); images that are not CT keep the mapping the recipe had.
        public func windowed(preset: String? = nil, center: Double? = nil, width: Double? = nil) -> Intensity {
            var out = self
            out.otherModalities = mode == .window ? (otherModalities ?? .percentile) : mode
            out.mode = .window
            out.preset = preset
            out.center = preset == nil ? center : nil
            out.width = preset == nil ? width : nil
            return out
        }

        /// Whether an image's values are Hounsfield units, the units a window preset is in: CT by
        /// its Modality, unless its Rescale Type names other units; or a Rescale Type of `HU`.
        public static func isHounsfield(modality: String?, rescaleType: String?) -> Bool {
            let type = rescaleType?.uppercased()
            return type == "HU" || (modality?.uppercased() == "CT" && (type == nil || type == "US"))
        }

        /// The mapping an image gets: a window only for images in Hounsfield units; others get
        /// `otherModalities` (percentile by default).
        public func resolved(modality: String?, rescaleType: String?) -> Intensity {
            guard mode == .window, !Self.isHounsfield(modality: modality, rescaleType: rescaleType) else { return self }
            var out = Intensity(mode: otherModalities ?? .percentile, low: low, high: high)
            if out.mode == .window { out.mode = .percentile }
            return out
        }

        /// What `resolved` does, in words (for the card and the console).
        public var summary: String {
            switch mode {
            case .window:
                let (c, w) = preset.flatMap { Self.presets[$0] } ?? (center ?? 0, width ?? 0)
                let name = preset.map { "\($0) " } ?? ""
                return "window \(name)\(Self.number(c))/\(Self.number(w)) HU (lo \(Self.number(c - w / 2)), hi \(Self.number(c + w / 2)))"
            case .percentile, .auto:
                let p = "percentiles \(Self.number(low ?? 0.5))–\(Self.number(high ?? 99.5)) per image"
                return mode == .auto ? "auto (stored values when already in the tile type, else \(p))" : p
            case .minmax: return "minimum–maximum per image"
            case .identity: return "stored values as they are"
            }
        }

        static func number(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d) }

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
        /// Drop tiles whose first sample's standard deviation is below this fraction of the
        /// output range (constant or nearly constant tiles, e.g. a window that saturates the
        /// image); 0.01 when absent, 0 keeps them.
        public var minContrast: Double?
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
             filters, level, tilesPerShard, compression, unitSize, context, resize, axis, labels
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
        context = try c.decodeIfPresent(Context.self, forKey: .context)
        resize = try c.decodeIfPresent(Int.self, forKey: .resize)
        axis = try c.decodeIfPresent(Int.self, forKey: .axis)
        labels = try c.decodeIfPresent([String: [Int]].self, forKey: .labels)
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
        if let c = filters.minContrast, !(0 ... 1).contains(c) { out.append("filters.minContrast is a fraction 0…1") }
        if let context {
            if source != .sunnybrook { out.append("context (phases:R or slices:R) needs a source with cine phases and slices (sunnybrook)") }
            if !(1 ... 4).contains(context.radius) { out.append("context radius must be 1…4 (e.g. phases:1 for 3 channels)") }
            if channels != 1 { out.append("context stacks gray images: channels must be 1") }
        }
        if source == .sunnybrook {
            for m in masks where SunnybrookContours.Kind.named(m) == nil {
                out.append("sunnybrook masks are \(SunnybrookContours.maskNames.joined(separator: ", ")); '\(m)' is not one")
            }
        }
        if let resize, resize < tile || resize > 16384 {
            out.append("resize must be at least the tile (\(tile)) and at most 16384 pixels")
        }
        if let axis, !(0 ... 2).contains(axis) { out.append("axis must be 0, 1 or 2 (the voxel axis i, j or k)") }
        switch source {
        case .colondb, .clinicdb:
            let known = CVCListing.maskNames(source)
            for m in masks where !known.contains(m) {
                out.append("\(source.rawValue) masks are \(known.joined(separator: ", ")); '\(m)' is not one")
            }
        case .nifti:
            for m in masks where (labels?[m] ?? []).isEmpty {
                out.append("mask '\(m)' has no label values (give them as labels, e.g. --labels \(m)=1+2)")
            }
        default: break
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

    /// Loads a recipe from a file, or by name from the recipe folders (see `searchFolders()`).
    /// A name that is found nowhere is an error listing every folder looked in and the names
    /// found there.
    public static func load(_ nameOrPath: String) throws -> Recipe {
        let fm = FileManager.default
        var url = URL(fileURLWithPath: nameOrPath)
        if !nameOrPath.contains("/") && !nameOrPath.hasSuffix(".json") {
            let folders = searchFolders()
            guard let found = folders.map({ $0.appendingPathComponent(nameOrPath + ".json") })
                .first(where: { fm.fileExists(atPath: $0.path) }) else {
                let known = Set(folders.flatMap { folder in
                    ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
                }).sorted()
                throw RecipeError(path: nameOrPath, "no recipe of that name; looked in " + folders.map(\.path).joined(separator: ", ")
                    + (known.isEmpty ? " (set MEDSR_MANIFESTS to the folder holding the recipes, or give a recipe file)"
                                     : "; recipes there: " + known.joined(separator: ", ")))
            }
            url = found
        } else if !fm.fileExists(atPath: url.path) {
            throw RecipeError(path: nameOrPath, "no such recipe file")
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

    /// The folders searched for a recipe by name, in order: `$MEDSR_MANIFESTS`, `./Manifests`,
    /// `share/medsr/Manifests` of the installation (`<bin>/../share/medsr/Manifests`, where
    /// `<bin>` is the folder of the executable's real path, symbolic links resolved), and
    /// `Manifests` of the source tree the executable was built in (`.build/…/medsr`).
    public static func searchFolders(executable: URL? = executableURL()) -> [URL] {
        var out = [URL]()
        if let env = ProcessInfo.processInfo.environment["MEDSR_MANIFESTS"], !env.isEmpty { out.append(URL(fileURLWithPath: env)) }
        out.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Manifests"))
        if let executable {
            let bin = executable.deletingLastPathComponent()
            out.append(bin.deletingLastPathComponent().appendingPathComponent("share/medsr/Manifests"))
            // A build tree: the nearest ancestor holding Package.swift (…/.build/<triple>/debug/medsr).
            var dir = bin
            for _ in 0 ..< 4 {
                dir = dir.deletingLastPathComponent()
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                    out.append(dir.appendingPathComponent("Manifests"))
                    break
                }
            }
        }
        var seen = Set<String>()
        return out.map(\.standardizedFileURL).filter { seen.insert($0.path).inserted }
    }

    /// The running executable's real path: `/proc/self/exe` (symbolic links resolved by the
    /// kernel), else `argv[0]` looked up on `PATH` and resolved.
    public static func executableURL() -> URL? {
        if let real = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: real)
        }
        guard let argv0 = CommandLine.arguments.first, !argv0.isEmpty else { return nil }
        var candidate: String? = argv0.contains("/") ? argv0 : nil
        if candidate == nil {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
            candidate = path.split(separator: ":").map { "\($0)/\(argv0)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        return candidate.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath() }
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
