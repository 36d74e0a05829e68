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

    /// The pyramid: level 0 is the first page; then its SubIFDs, or else the later
    /// reduced-resolution pages, largest first.
    static func levels(_ file: borrowing TIFFFile) throws(TIFFError) -> [Level] {
        try file.select(.page(0))
        let base = try file.describe()
        var levels = [Level(place: .page(0), dir: base)]
        let subs = file.subIFDs()
        if !subs.isEmpty {
            for offset in subs {
                try file.select(.subIFD(offset))
                levels.append(Level(place: .subIFD(offset), dir: try file.describe()))
            }
        } else {
            let pages = file.directoryCount
            for i in 1 ..< max(pages, 1) {
                try file.select(.page(i))
                let d = try file.describe()
                if d.subfile_type & 1 != 0, d.width < levels.last!.dir.width { levels.append(Level(place: .page(i), dir: d)) }
            }
        }
        return levels
    }

    static func compressionName(_ code: UInt16) -> String {
        [1: "none", 5: "LZW", 6: "old-JPEG", 7: "JPEG", 8: "deflate", 32946: "deflate", 32773: "PackBits",
         50000: "zstd", 34887: "LERC", 33003: "JPEG2000", 33005: "JPEG2000", 34712: "JPEG2000"][code] ?? "code \(code)"
    }

    public static func describe(path: String) throws -> FileDescription {
        let file = try TIFFFile(path: path)
        let levels = try levels(file)
        let d0 = levels[0].dir
        var d = FileDescription(path: path, format: .tiff)
        d.rows = Int(d0.height)
        d.columns = Int(d0.width)
        d.frames = 1
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

    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        let file = try TIFFFile(path: path)
        let levels = try levels(file)
        guard options.level >= 0 && options.level < levels.count else {
            throw TIFFError(.notFound, path: path, "level \(options.level) does not exist (levels 0…\(levels.count - 1))")
        }
        let level = levels[options.level]
        let d = level.dir
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
                                   bytesPerSample: type.byteCount, frames: 1, limit: options.maxBytes) {
            throw error
        }
        try file.select(level.place)
        var buffer = [UInt8](repeating: 0, count: region.width * region.height * spp * type.byteCount)
        try file.readRegion(region, into: &buffer)
        var pixels = PixelArray(rows: region.height, columns: region.width, samplesPerPixel: spp,
                                samples: decodeLittleEndian(buffer, type: type, count: buffer.count / type.byteCount))
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
        return MedicalImage(pixels: pixels, metadata: metadata,
                            provenance: Provenance(sourcePath: path, level: options.level,
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
