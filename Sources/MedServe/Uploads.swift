import Foundation
import HTTPTypes
import Hummingbird
import MedImage
import MedIO
import MedNN
import Synchronization
import Zarr

/// Uploaded files and what was made of them, in a private temporary folder (mode 0700) that
/// `close()` deletes when the server stops. Every reader runs in a `medsr` child process.
final class Uploads: Sendable {
    let folder: URL
    let options: ServeOptions
    private let order = Mutex<[String]>([])
    /// Uploads kept at once; the oldest is deleted beyond this.
    static let capacity = 32
    /// Extensions kept from the uploaded name (the readers sniff content; the extension only
    /// helps NIfTI's `.nii.gz` and MATLAB's `.mat`).
    static let extensions = ["dcm", "dicom", "png", "tif", "tiff", "jpg", "jpeg", "bmp", "mat", "nii", "nii.gz", "hdr", "img", "ima"]

    init(options: ServeOptions) throws {
        self.options = options
        let base = FileManager.default.temporaryDirectory
        folder = base.appendingPathComponent("medsr-serve-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func close() { try? FileManager.default.removeItem(at: folder) }

    /// The extension to keep for an uploaded file name ("bin" for anything else).
    static func fileExtension(of name: String) -> String {
        let lower = name.lowercased()
        if lower.hasSuffix(".nii.gz") { return "nii.gz" }
        let ext = (lower as NSString).pathExtension
        return extensions.contains(ext) ? ext : "bin"
    }

    /// A new upload's folder and the path its bytes go to.
    func create(name: String) throws -> (id: String, file: URL) {
        let id = UUID().uuidString.lowercased()
        let dir = folder.appendingPathComponent(id)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let evicted: [String] = order.withLock { ids in
            ids.append(id)
            let old = Array(ids.prefix(max(0, ids.count - Self.capacity)))
            ids.removeFirst(old.count)
            return old
        }
        for old in evicted { try? FileManager.default.removeItem(at: folder.appendingPathComponent(old)) }
        return (id, dir.appendingPathComponent("upload." + Self.fileExtension(of: name)))
    }

    func discard(_ id: String) { try? FileManager.default.removeItem(at: folder.appendingPathComponent(id)) }

    /// A result file of upload `id` (input.png, bicubic.png, output.png, output.dcm), if it exists.
    func image(_ id: String, _ which: String) -> URL? {
        guard id.count == 36, id.allSatisfy({ $0.isHexDigit || $0 == "-" }),
              ["input.png", "bicubic.png", "output.png", "output.dcm"].contains(which) else { return nil }
        let url = folder.appendingPathComponent(id).appendingPathComponent(which)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// Describes, converts and (with a model) upscales an uploaded file, each in a child process.
    /// - Parameters: `model`: a run folder; `scale`: the bicubic factor when there is no model.
    /// - Returns: the answer for the client.
    func process(id: String, input: URL, name: String, model: URL?, scale: Int) throws -> JSONValue {
        guard let helper = options.helper else {
            throw ServeError(status: .serviceUnavailable, message: "uploads need the medsr executable, which this server was not given")
        }
        let child = ChildProcess(executable: helper, timeoutSeconds: options.childTimeoutSeconds)
        let dir = input.deletingLastPathComponent()
        let maxMB = String(max(1, options.maxDecodedBytes >> 20))
        // The child's one-line error, with the private path replaced by the uploaded name.
        func refuse(_ outcome: ChildProcess.Outcome, _ step: String) -> ServeError {
            let safeName = String(name.filter { $0.isLetter || $0.isNumber || "._- ".contains($0) }.prefix(80))
            var line = outcome.lastErrorLine.replacingOccurrences(of: input.path, with: safeName)
                .replacingOccurrences(of: dir.path, with: "upload")
            if line.hasPrefix("medsr: ") { line.removeFirst(7) }
            if outcome.timedOut { line = "\(safeName): \(step) took longer than \(Int(options.childTimeoutSeconds)) s and was stopped" }
            else if outcome.crashed { line = "\(safeName): the reader failed on this file (\(step) crashed); the server is unaffected" }
            else if line.isEmpty { line = "\(safeName): \(step) failed" }
            return ServeError(status: .unprocessableContent, message: line)
        }
        var describe = ["inspect", "--json", input.path]
        if options.showPHI { describe.append("--show-phi") }
        let described = try child.run(describe)
        guard described.status == 0, !described.crashed, case .object(var members)? = JSONValue.parse(described.stdout) else {
            throw refuse(described, "reading")
        }
        members.removeAll { $0.0 == "path" || (!options.showPHI && ["patientID", "patientName"].contains($0.0)) }
        let converted = try child.run(["convert", input.path, dir.appendingPathComponent("view.png").path, "--frame", "0", "--bits", "8", "--max-mb", maxMB, "--jobs", "1"])
        guard converted.status == 0, !converted.crashed else { throw refuse(converted, "converting") }
        // One frame may be written as view_f0000.png.
        let made = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.sorted().first { $0.hasPrefix("view") && $0.hasSuffix(".png") }
        guard let made else { throw ServeError(status: .unprocessableContent, message: "the file holds no image MedSR can show") }
        try FileManager.default.moveItem(at: dir.appendingPathComponent(made), to: dir.appendingPathComponent("input.png"))
        var factor = scale
        var answer: [(String, JSONValue)] = [("id", .string(id)), ("description", .object(members))]
        if let model {
            let output = dir.appendingPathComponent("output.png")
            // A restoration model runs through `medsr restore`, an SR model through `upscale`.
            let command = (try? ModelFile.read(model.path).0.metadata["task"]) == ModelTask.restoration.rawValue ? "restore" : "upscale"
            let upscaled = try child.run([command, "--model", model.path, input.path, output.path, "--frame", "0", "--max-mb", maxMB, "--values", "mapped"])
            guard upscaled.status == 0, !upscaled.crashed else { throw refuse(upscaled, "upscaling") }
            let line = String(decoding: upscaled.stdout, as: UTF8.self)
            if let r = line.range(of: "(×"), let n = Int(line[r.upperBound...].prefix { $0.isNumber }) { factor = n }
            answer.append(("output", .string("/api/upload/\(id)/output.png")))
            // DICOM in: also a derived, de-identified DICOM (PS3.15 basic profile, as upscale writes it).
            if case .string("dicom")? = members.first(where: { $0.0 == "format" })?.1 {
                let dicom = try child.run([command, "--model", model.path, input.path, dir.appendingPathComponent("output.dcm").path,
                                           "--frame", "0", "--max-mb", maxMB])
                guard dicom.status == 0, !dicom.crashed else { throw refuse(dicom, "writing DICOM") }
                answer.append(("dicom", .string("/api/upload/\(id)/output.dcm")))
            }
        }
        // Bicubic from the displayed input: our own PNG, read in process.
        let view = try PNGCodec.read(path: dir.appendingPathComponent("input.png").path).pixels.frame(0)
        let bicubic = Resample.bicubic(view, columns: view.columns * factor, rows: view.rows * factor)
        try PNGCodec.write(bicubic, to: dir.appendingPathComponent("bicubic.png"))
        answer += [("scale", .int(factor)), ("input", .string("/api/upload/\(id)/input.png")),
                   ("bicubic", .string("/api/upload/\(id)/bicubic.png")),
                   ("size", .array([.int(view.columns), .int(view.rows)]))]
        return .object(answer)
    }
}
