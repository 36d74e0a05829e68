import CMatio
import Foundation
public import MedImage

/// One record of the figshare brain-tumour set (`cjdata` struct of one `.mat` file).
public struct FigshareRecord: Sendable {
    /// The MR slice, int16, in the orientation MATLAB shows.
    public var image: PixelArray
    public var tumorMask: Mask?
    /// 1 meningioma, 2 glioma, 3 pituitary.
    public var label: Int?
    /// Kept apart: print only with the user's consent.
    public var patient: PatientIdentity?
    /// Tumour border exactly as stored: a flat list of coordinate pairs, 1-based. The set's
    /// README only says "planar coordinates"; MedSR's fixtures store (row, column) pairs.
    public var border: [Double]

    public static let labelNames = [1: "meningioma", 2: "glioma", 3: "pituitary"]
}

/// MATLAB files: generic variables, and the figshare brain-tumour layout.
public enum MATReader {
    /// Reads a figshare `cjdata` record.
    public static func figshareRecord(path: String, maxBytes: Int = 4 << 30) throws -> FigshareRecord {
        try figshareRecord(in: MATFile(path: path, maxBytes: maxBytes), maxBytes: maxBytes)
    }

    static func figshareRecord(in file: MATFile, maxBytes: Int) throws -> FigshareRecord {
        let path = file.path
        let (info, fields) = try file.info("cjdata")
        guard info.mat_class == 13 else { throw MATError(.unsupported, path: path, "'cjdata' is not a struct") }
        let imageArray = try file.read("cjdata.image", maxBytes: maxBytes)
        guard let image = imageArray.pixels(), image.samplesPerPixel == 1 else {
            throw MATError(.unsupported, path: path, "cjdata.image is not a 2-D array (dimensions \(imageArray.dims))")
        }
        var mask: Mask?
        if fields.contains("tumorMask") {
            let m = try file.read("cjdata.tumorMask", maxBytes: maxBytes)
            guard m.dims == imageArray.dims, let pixels = m.pixels() else {
                throw MATError(.corrupt, path: path, "cjdata.tumorMask is \(m.dims), the image \(imageArray.dims)")
            }
            // MATLAB logicals come as bytes, which `Mask` takes as they are (any nonzero is 1).
            let values: [UInt8]
            if case .uint8(let bytes) = pixels.samples {
                values = bytes
            } else {
                values = pixels.samples.floats().map { $0 != 0 ? 1 : 0 }
            }
            mask = Mask(rows: pixels.rows, columns: pixels.columns, values: values)
        }
        let label = fields.contains("label") ? try file.read("cjdata.label", maxBytes: 1 << 20).doubles().first.flatMap { Int(exactly: $0) } : nil
        let pid = fields.contains("PID") ? try file.read("cjdata.PID", maxBytes: 1 << 20).text() : nil
        let border = fields.contains("tumorBorder") ? try file.read("cjdata.tumorBorder", maxBytes: 1 << 24).doubles() : []
        return FigshareRecord(image: image, tumorMask: mask, label: label,
                              patient: pid.flatMap { $0.isEmpty ? nil : PatientIdentity(id: $0) }, border: border)
    }

    /// The fold number (1–5) of each file of the set, from `cvind.mat`, in file-number order.
    public static func foldIndices(path: String) throws -> [Int] {
        let file = try MATFile(path: path)
        let values = try file.read("cvind", maxBytes: 1 << 24).doubles()
        guard values.allSatisfy({ $0 >= 1 && $0 <= 99 && $0 == $0.rounded() }) else {
            throw MATError(.corrupt, path: path, "cvind holds values that are not fold numbers")
        }
        return values.map { Int($0) }
    }

    /// Reads an image: `options.variable` if given (e.g. `cjdata.tumorMask`), else the figshare
    /// image with its tumour mask, else the only 2-D numeric variable of the file.
    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        var metadata = ImageMetadata()
        metadata.format = "MATLAB"
        let file = try MATFile(path: path, maxBytes: options.maxBytes)
        let names = file.variables()
        if options.variable == nil && names.contains("cjdata") {
            let record = try figshareRecord(in: file, maxBytes: options.maxBytes)
            metadata.label = record.label.map { FigshareRecord.labelNames[$0] ?? String($0) }
            metadata.isSigned = true
            metadata.modality = "MR"
            var masks = [String: Mask]()
            if let mask = record.tumorMask {
                let r = options.region
                masks["tumorMask"] = r.map { mask.cropped(x: $0.x, y: $0.y, width: $0.width, height: $0.height) } ?? mask
            }
            return MedicalImage(pixels: try region(record.image, options, path),
                                metadata: metadata,
                                masks: masks,
                                provenance: Provenance(sourcePath: path), patient: record.patient)
        }
        let name: String
        if let variable = options.variable {
            name = variable
        } else {
            let classes = try names.map { (name: $0, info: try file.info($0).info) }
            let numeric = classes.filter { MATFile.isNumeric($0.info.mat_class) && $0.info.is_complex == 0 }
            guard numeric.count == 1 else {
                if numeric.isEmpty {
                    let listed = classes.prefix(6).map { "\($0.name) (\(MATFile.kindName($0.info)))" }.joined(separator: ", ")
                    throw MATError(.unsupported, path: path,
                                   "no real numeric array to read as an image (\(classes.isEmpty ? "no variables MedSR can list" : listed)); MedSR reads numeric and logical matrices")
                }
                throw MATError(.invalidRequest, path: path,
                               "\(numeric.count) numeric variables (\(numeric.prefix(8).map(\.name).joined(separator: ", "))); name one with --variable")
            }
            name = numeric[0].name
        }
        let array = try file.read(name, maxBytes: options.maxBytes)
        guard let pixels = array.pixels() else {
            throw MATError(.unsupported, path: path, "variable '\(name)' is not a 2-D image (dimensions \(array.dims))")
        }
        metadata.isSigned = [.int16, .int32, .float32].contains(pixels.sampleType)
        return MedicalImage(pixels: try region(pixels, options, path), metadata: metadata,
                            provenance: Provenance(sourcePath: path))
    }

    static func region(_ pixels: PixelArray, _ options: ReadOptions, _ path: String) throws -> PixelArray {
        guard let r = options.region else { return pixels }
        guard r.x + r.width <= pixels.columns, r.y + r.height <= pixels.rows else {
            throw MATError(.invalidRequest, path: path, "region lies outside the \(pixels.columns)×\(pixels.rows) image")
        }
        return pixels.cropped(x: r.x, y: r.y, width: r.width, height: r.height)
    }

    public static func describe(path: String, showPHI: Bool) throws -> FileDescription {
        if let cut = Truncation.matV5(path: path) { throw MATError(.corrupt, path: path, "the file is truncated: \(cut)") }
        let file = try MATFile(path: path)
        var d = FileDescription(path: path, format: .matlab)
        var variables = [VariableDescription]()
        for name in file.variables() {
            guard let (info, fields) = try? file.info(name) else { continue }
            variables.append(variable(name, info))
            for field in fields {
                if let (sub, _) = try? file.info("\(name).\(field)") { variables.append(variable("\(name).\(field)", sub)) }
            }
        }
        d.variables = variables
        d.notes = [file.versionName]
        if let record = try? figshareRecord(path: path) {
            d.rows = record.image.rows
            d.columns = record.image.columns
            d.frames = 1
            d.samplesPerPixel = 1
            d.sampleType = record.image.sampleType
            d.masks = record.tumorMask == nil ? [] : ["tumorMask"]
            d.label = record.label.map { FigshareRecord.labelNames[$0] ?? String($0) }
            d.modality = "MR"
            if showPHI { d.patientID = record.patient?.id }
            d.notes?.append("figshare brain-tumour record (cjdata)")
        }
        return d
    }

    static func variable(_ name: String, _ info: msr_mat_info) -> VariableDescription {
        VariableDescription(name: name, matlabClass: MATFile.className(info.mat_class),
                            dimensions: withUnsafeBytes(of: info.dims) { raw in
                                (0 ..< Int(info.rank)).map { Int(clamping: raw.load(fromByteOffset: $0 * 8, as: UInt64.self)) }
                            })
    }
}
