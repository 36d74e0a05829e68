import CTIFF
public import Foundation
public import MedImage

/// TIFF slides through libtiff: strips and tiles, 8/16-bit gray, RGB, RGBA, every compression
/// libtiff decodes (none, LZW, deflate, JPEG, PackBits), BigTIFF, and pyramids stored as a chain
/// of reduced-resolution pages or as SubIFDs. Regions decode only the tiles they touch.
public enum TIFFCodec {
    struct Level {
        var place: TIFFLevelPlace
        var dir: msr_tiff_dir
    }

    /// What the directories of a file are: pyramid levels of the first image, and frames.
    struct Layout {
        /// Level 0 is the first page; then its SubIFDs, or else the later reduced-resolution
        /// pages, largest first.
        var levels: [Level]
        /// Pages of the main chain that are not reduced-resolution levels and share the first
        /// page's size and sample layout (a multi-page TIFF: slices, frames, channels), in order.
        var frames: [Level]
        /// Other full-resolution pages (thumbnails, labels): not frames, said so by `describe`.
        var otherPages: Int
    }

    static func layout(_ file: borrowing TIFFFile) throws(TIFFError) -> Layout {
        try file.select(.page(0))
        let base = try file.describe()
        var levels = [Level(place: .page(0), dir: base)]
        var frames = levels
        var otherPages = 0
        let subs = file.subIFDs()
        for offset in subs {
            try file.select(.subIFD(offset))
            levels.append(Level(place: .subIFD(offset), dir: try file.describe()))
        }
        for i in 1 ..< max(file.directoryCount, 1) {
            try file.select(.page(i))
            let d = try file.describe()
            if d.subfile_type & 1 != 0 {
                // A reduced-resolution page: a pyramid level when there are no SubIFDs.
                if subs.isEmpty, d.width < levels.last!.dir.width { levels.append(Level(place: .page(i), dir: d)) }
            } else if d.width == base.width, d.height == base.height, d.samples_per_pixel == base.samples_per_pixel,
                      d.bits_per_sample == base.bits_per_sample, d.sample_format == base.sample_format,
                      d.photometric == base.photometric {
                frames.append(Level(place: .page(i), dir: d))
            } else {
                otherPages += 1
            }
        }
        return Layout(levels: levels, frames: frames, otherPages: otherPages)
    }

    static func compressionName(_ code: UInt16) -> String {
        [1: "none", 5: "LZW", 6: "old-JPEG", 7: "JPEG", 8: "deflate", 32946: "deflate", 32773: "PackBits",
         50000: "zstd", 34887: "LERC", 33003: "JPEG2000", 33005: "JPEG2000", 34712: "JPEG2000"][code] ?? "code \(code)"
    }

    public static func describe(path: String) throws -> FileDescription {
        let file = try TIFFFile(path: path)
        let layout = try layout(file)
        let levels = layout.levels
        let d0 = levels[0].dir
        var d = FileDescription(path: path, format: .tiff)
        d.rows = Int(d0.height)
        d.columns = Int(d0.width)
        d.frames = layout.frames.count
        if layout.otherPages > 0 {
            d.notes = ["\(layout.otherPages) more page(s) of another size or layout (thumbnail, label): not frames"]
        }
        d.samplesPerPixel = Int(d0.samples_per_pixel)
        d.sampleType = try? sampleType(d0, path: path)
        d.bitsStored = Int(d0.bits_per_sample)
        d.photometric = photometricName(d0.photometric)
        if d0.resolution_unit == 3, d0.x_resolution > 0, d0.y_resolution > 0 {
            d.pixelSpacingMM = [10 / d0.y_resolution, 10 / d0.x_resolution]
        } else if d0.resolution_unit == 2, d0.x_resolution > 0, d0.y_resolution > 0 {
            d.pixelSpacingMM = [25.4 / d0.y_resolution, 25.4 / d0.x_resolution]
        }
        d.levels = levels.enumerated().map { i, level in
            let isSub: Bool
            if case .subIFD = level.place { isSub = true } else { isSub = false }
            return LevelDescription(level: i, width: Int(level.dir.width), height: Int(level.dir.height),
                                    tileWidth: level.dir.tile_width > 0 ? Int(level.dir.tile_width) : nil,
                                    tileHeight: level.dir.tile_height > 0 ? Int(level.dir.tile_height) : nil,
                                    compression: compressionName(level.dir.compression), source: isSub ? "subifd" : "page")
        }
        return d
    }

    static func photometricName(_ code: UInt16) -> String {
        [0: "MONOCHROME1", 1: "MONOCHROME2", 2: "RGB", 3: "PALETTE COLOR", 6: "YBR"][code] ?? "photometric \(code)"
    }

    static func sampleType(_ d: msr_tiff_dir, path: String) throws(TIFFError) -> SampleType {
        switch (d.bits_per_sample, d.sample_format) {
        case (8, 1), (8, 0): return .uint8
        case (16, 1), (16, 0): return .uint16
        case (16, 2): return .int16
        case (32, 1): return .uint32
        case (32, 2): return .int32
        case (32, 3): return .float32
        default:
            throw TIFFError(.unsupported, path: path,
                            "\(d.bits_per_sample)-bit samples of format \(d.sample_format) are not supported")
        }
    }

    /// Reads one level (of frame 0), or the selected frames (pages) at level 0, optionally a
    /// region of each.
    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        let file = try TIFFFile(path: path)
        let layout = try layout(file)
        let levels = layout.levels
        guard options.level >= 0 && options.level < levels.count else {
            throw TIFFError(.notFound, path: path, "level \(options.level) does not exist (levels 0…\(levels.count - 1))")
        }
        let places: [Level]
        switch options.frames {
        case .all: places = options.level == 0 ? layout.frames : [levels[options.level]]
        case .index(let i):
            guard i >= 0 && i < layout.frames.count else {
                throw TIFFError(.notFound, path: path, "frame \(i) does not exist (the file has \(layout.frames.count))")
            }
            guard i == 0 || options.level == 0 else {
                throw TIFFError(.invalidRequest, path: path, "pyramid levels belong to frame 0; frame \(i) has level 0 only")
            }
            places = [options.level == 0 ? layout.frames[i] : levels[options.level]]
        }
        let d = places[0].dir
        let type = try sampleType(d, path: path)
        guard [0, 1, 2].contains(d.photometric) else {
            throw TIFFError(.unsupported, path: path, "photometric interpretation \(photometricName(d.photometric)) is not supported")
        }
        let region = options.region ?? Region(x: 0, y: 0, width: Int(d.width), height: Int(d.height))
        guard region.x + region.width <= Int(d.width), region.y + region.height <= Int(d.height) else {
            throw TIFFError(.invalidRequest, path: path,
                            "region \(region.x),\(region.y),\(region.width),\(region.height) lies outside level \(options.level) (\(d.width)×\(d.height))")
        }
        let spp = Int(d.samples_per_pixel)
        if let error = checkBudget(path: path, rows: region.height, columns: region.width, samples: spp,
                                   bytesPerSample: type.byteCount, frames: places.count, limit: options.maxBytes) {
            throw error
        }
        var parts = [Samples]()
        var buffer = [UInt8](repeating: 0, count: region.width * region.height * spp * type.byteCount)
        for place in places {
            try file.select(place.place)
            try file.readRegion(region, into: &buffer)
            parts.append(decodeLittleEndian(buffer, type: type, count: buffer.count / type.byteCount))
        }
        var pixels = PixelArray(frames: places.count, rows: region.height, columns: region.width, samplesPerPixel: spp,
                                samples: Samples.concatenating(parts)!)
        pixels = pixels.keepingSamples(spp >= 3 ? 3 : 1)
        var metadata = ImageMetadata()
        metadata.format = "TIFF"
        metadata.bitsStored = Int(d.bits_per_sample)
        metadata.bitsAllocated = Int(d.bits_per_sample)
        metadata.photometric = pixels.samplesPerPixel == 3 ? "RGB" : photometricName(d.photometric)
        metadata.isSigned = type == .int16 || type == .int32
        if options.forceGray && pixels.samplesPerPixel == 3 {
            pixels = ColorConversion.luma(pixels)
            metadata.photometric = "MONOCHROME2"
        }
        var frame: Int?
        if case .index(let i) = options.frames, layout.frames.count > 1 { frame = i }
        return MedicalImage(pixels: pixels, metadata: metadata,
                            provenance: Provenance(sourcePath: path, frame: frame, level: options.level,
                                                   region: [region.x, region.y, region.width, region.height]))
    }

    public enum Compression: String, Sendable, CaseIterable {
        case none, lzw, deflate, jpeg

        var code: UInt16 {
            switch self {
            case .none: 1
            case .lzw: 5
            case .jpeg: 7
            case .deflate: 8
            }
        }
    }

    /// Writes a tiled pyramidal TIFF in the generic layout OpenSlide reads: level 0 first, then
    /// reduced-resolution pages, each half the size of the last, down to one tile.
    public static func writePyramid(_ pixels: PixelArray, to url: URL, compression: Compression = .deflate,
                                    tileSize: Int = 256, jpegQuality: Int = 90) throws {
        let path = url.path
        guard [.uint8, .uint16, .float32].contains(pixels.sampleType) else {
            throw TIFFError(.invalidRequest, path: path, "TIFF output holds uint8, uint16 or float32 samples")
        }
        if compression == .jpeg && pixels.sampleType != .uint8 {
            throw TIFFError(.invalidRequest, path: path, "JPEG tiles need 8-bit samples (use --bits 8)")
        }
        let big = pixels.byteCount > (3 << 30)
        try AtomicFile.write(to: url) { temporary in
            let file = try TIFFFile(path: temporary.path, mode: big ? "w8" : "w")
            var level = pixels.frames > 1 ? pixels.frame(0) : pixels
            var reduced = false
            while true {
                var spec = msr_tiff_level()
                spec.width = UInt32(level.columns)
                spec.height = UInt32(level.rows)
                spec.samples_per_pixel = UInt16(level.samplesPerPixel)
                spec.bits_per_sample = UInt16(level.sampleType.byteCount * 8)
                spec.sample_format = level.sampleType == .float32 ? 3 : 1
                spec.tile_size = UInt32(tileSize)
                spec.compression = compression.code
                spec.jpeg_quality = Int32(jpegQuality)
                spec.reduced = reduced ? 1 : 0
                try file.writeLevel(spec, pixels: level.samples.littleEndianBytes())
                if level.rows <= tileSize && level.columns <= tileSize { break }
                level = level.halved()
                reduced = true
            }
            _ = consume file  // close (and flush) before the rename
        }
    }
}
