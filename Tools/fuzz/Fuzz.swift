// libFuzzer harness for MedSR's readers and parsers, built by Tools/fuzz/run.sh: the library
// targets are compiled by SwiftPM with -sanitize=fuzzer,address and this file is linked
// against their objects with libFuzzer's own main. Which reader runs
// is chosen by the MEDSR_FUZZ_TARGET environment variable: dicom, png, tiff, jpeg, bmp, mat, nifti, recipe,
// safetensors, json. Inputs go through the same entry points the CLI uses.
import Foundation
import MedDataset
import MedIO
import MedNN
import Zarr

nonisolated(unsafe) let target = ProcessInfo.processInfo.environment["MEDSR_FUZZ_TARGET"] ?? "dicom"
nonisolated(unsafe) let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-fuzz-\(getpid())")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start = data else { return 0 }
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    switch target {
    case "recipe":
        _ = try? JSONDecoder().decode(Recipe.self, from: Data(bytes))
        return 0
    case "safetensors":
        _ = try? SafeTensors.decode(bytes, path: "fuzz", maxBytes: 64 << 20)
        return 0
    case "json":
        _ = JSONValue.parse(Data(bytes))
        return 0
    default:
        break
    }
    let url = scratch.appendingPathExtension(["dicom": "dcm", "png": "png", "tiff": "tif", "jpeg": "jpg", "bmp": "bmp", "mat": "mat", "nifti": "nii"][target] ?? "bin")
    guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes)) else { return 0 }
    var options = ReadOptions()
    options.maxBytes = 64 << 20
    _ = try? ImageFiles.describe(url)
    _ = try? ImageFiles.read(url, options: options)
    return 0
}
