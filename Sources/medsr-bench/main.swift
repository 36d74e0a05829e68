// Times MedSR's readers in-process for Tools/bench/bench.py, which times the Python peer the
// same way in the same run. Usage:
//   medsr-bench read REPEAT FILE...                 decode whole files (any format: DICOM, MATLAB, TIFF, PNG, JPEG, BMP)
//   medsr-bench figshare REPEAT FILE...             figshare record: image, mask, label, PID
//   medsr-bench region X,Y,W,H REPEAT FILE...       one region of level 0
//   medsr-bench readpar REPEAT FILE...              decode whole files, files spread over all cores
//   medsr-bench ssim REPEAT RANGE X.npy Y.npy       SSIM (map + mean) of two float planes; prints seconds and SSIM
//                                                   (MEDSR_THREADS=N: N threads instead of all cores)
//   medsr-bench register REPEAT SCALE LOW.npy FIELD.npy [exhaustive]  seconds, x, y, score, found, evidence z
//   medsr-bench sr-train ARCH STEPS BATCH PATCH SCALE THREADS   seconds per training step (forward, backward, Adam)
//   medsr-bench sr-infer ARCH SIZE SCALE THREADS REPEAT        seconds per inference of one SIZE² image
//   (ARCH: espcn, srresnet, swift-srgan; espcn-train/espcn-infer are sr-* with ARCH espcn)
//   medsr-bench nlm REPEAT PATCH DISTANCE H SIGMA IN.npy OUT.npy   non-local means of a 2-D float plane
//                                                   (or [rows, columns, channels]): best seconds; writes OUT
//                                                   (float32); MEDSR_THREADS=N: N threads instead of all cores
//   medsr-bench conv-stride2 K CIN COUT SIDE BATCH THREADS REPEAT   one stride-2 convolution, padding (K − 1)/2:
//                                                   seconds forward, forward + backward; direct path, then GEMM path
//   medsr-bench convt K CIN COUT SIDE BATCH THREADS REPEAT   a transposed convolution, stride K, padding 0 (U-Net
//                                                   up-sampling): seconds forward, forward + backward
// Prints: seconds (wall, best of REPEAT passes over all files) and decoded bytes per pass.
import MedKernels
import CMalloc
import Dispatch
import Foundation
import MedIO
import MedMetrics
import MedNN
import MedRegistration
import Synchronization
import MedImage

msr_tune_allocator()  // as medsr does
BLASThreads.park()
// MEDSR_KERNEL_LEVEL=0|1 caps the C kernels (portable, AVX2) to compare them with the best copy.
if let level = ProcessInfo.processInfo.environment["MEDSR_KERNEL_LEVEL"].flatMap({ Int32($0) }) { Kernels.limitLevel(Int(level)) }
let args = CommandLine.arguments
guard args.count >= 4 else {
    FileHandle.standardError.write(Data("usage: medsr-bench read|figshare|region [X,Y,W,H] REPEAT FILE...\n".utf8))
    exit(2)
}
let task = args[1]
if ["espcn-train", "espcn-infer", "sr-train", "sr-infer"].contains(task) {
    var rng = SplitMix64(seed: 1)
    let named = task.hasPrefix("sr-")
    // Any image-to-image architecture of the registry (scale 1 for restoration networks).
    let architecture = named ? args[2] : "espcn"
    guard (try? ModelRegistry.architecture(architecture)) != nil else { exit(2) }
    func build(scale: Int) -> any Model<Float> {
        do { return try ModelRegistry.make(ModelConfiguration(architecture: architecture, channels: 1, scale: scale), rng: &rng) } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(2)
        }
    }
    let a = args.dropFirst(named ? 3 : 2).compactMap { Int($0) }
    if task.hasSuffix("-train") {
        let (steps, batch, patch, scale, threads) = (a[0], a[1], a[2], a[3], a[4])
        let net = build(scale: scale)
        net.setThreads(threads)
        net.setTraining(true)
        let adam = Adam<Float>(learningRate: 1e-3, workers: threads)
        let x = Tensor<Float>(channels: 1, batch: batch, rows: patch, columns: patch,
                              data: (0 ..< batch * patch * patch).map { _ in Float.random(in: 0 ... 1, using: &rng) })
        let y = Tensor<Float>(channels: 1, batch: batch, rows: patch * scale, columns: patch * scale,
                              data: (0 ..< batch * patch * patch * scale * scale).map { _ in Float.random(in: 0 ... 1, using: &rng) })
        var times = [Double]()
        for _ in 0 ..< steps + 2 {
            let start = DispatchTime.now().uptimeNanoseconds
            net.zeroGradients()
            let (_, g) = Loss.mse(net.forward(x), y)
            net.backward(g)
            adam.update(net.trainable)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(times.dropFirst(2).sorted()[steps / 2])  // median after two warm-up steps
    } else {
        let (size, scale, threads, repeatCount) = (a[0], a[1], a[2], a[3])
        let net = build(scale: scale)
        net.setThreads(threads)
        net.setTraining(false)
        let x = Tensor<Float>(channels: 1, batch: 1, rows: size, columns: size,
                              data: (0 ..< size * size).map { _ in Float.random(in: 0 ... 1, using: &rng) })
        var best = Double.infinity
        for _ in 0 ..< repeatCount {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = net.forward(x)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(best)
    }
    exit(0)
}
if task == "convt" {
    let a = args.dropFirst(2).compactMap { Int($0) }
    let (k, cin, cout, side, batch, threads, repeatCount) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6])
    var rng = SplitMix64(seed: 5)
    let conv = ConvTranspose2d<Float>("c", in: cin, out: cout, kernel: k, stride: k, rng: &rng)
    conv.setWorkers(threads)
    let x = Tensor<Float>(channels: cin, batch: batch, rows: side, columns: side,
                          data: (0 ..< cin * batch * side * side).map { _ in Float.random(in: -1 ... 1, using: &rng) })
    var forward = Double.infinity, step = Double.infinity
    for _ in 0 ..< repeatCount {
        let start = DispatchTime.now().uptimeNanoseconds
        let y = conv.forward(x)
        let middle = DispatchTime.now().uptimeNanoseconds
        _ = conv.backward(y)
        let end = DispatchTime.now().uptimeNanoseconds
        forward = min(forward, Double(middle - start) / 1e9)
        step = min(step, Double(end - start) / 1e9)
    }
    print(forward, step)
    exit(0)
}
if task == "conv-stride2" {
    // Stride 2, padding (K − 1) / 2 (3 → 1, 4 → 1, 5 → 2), as discriminators and U-Net encoders use.
    let a = args.dropFirst(2).compactMap { Int($0) }
    let (k, cin, cout, side, batch, threads, repeatCount) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6])
    var rng = SplitMix64(seed: 4)
    let conv = Conv2d<Float>("c", in: cin, out: cout, kernel: k, stride: 2, padding: (k - 1) / 2, rng: &rng)
    conv.setWorkers(threads)
    conv.stridedDirectBackward = ProcessInfo.processInfo.environment["DIRECT_BACKWARD"] != nil
    let x = Tensor<Float>(channels: cin, batch: batch, rows: side, columns: side,
                          data: (0 ..< cin * batch * side * side).map { _ in Float.random(in: -1 ... 1, using: &rng) })
    var forward = [Double.infinity, .infinity], step = [Double.infinity, .infinity]
    for _ in 0 ..< repeatCount {
        for (i, direct) in [true, false].enumerated() {  // interleaved
            conv.stridedDirectUse = direct ? .always : .never
            let start = DispatchTime.now().uptimeNanoseconds
            let y = conv.forward(x)
            let middle = DispatchTime.now().uptimeNanoseconds
            _ = conv.backward(y)
            let end = DispatchTime.now().uptimeNanoseconds
            forward[i] = min(forward[i], Double(middle - start) / 1e9)
            step[i] = min(step[i], Double(end - start) / 1e9)
        }
    }
    print(forward[0], step[0], forward[1], step[1])
    if ProcessInfo.processInfo.environment["PARTS"] != nil {  // backward's two products apart
        for (frozen, inputGradient) in [(true, true), (false, false)] {
            conv.frozen = frozen
            conv.inputGradient = inputGradient
            for direct in [true, false] {
                conv.stridedDirectUse = direct ? .always : .never
                var best = Double.infinity
                for _ in 0 ..< repeatCount {
                    let y = conv.forward(x)
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = conv.backward(y)
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                print(frozen ? "input gradient only" : "weight gradient only", direct ? "direct" : "gemm", best)
            }
        }
    }
    exit(0)
}
if task == "resample" {
    // medsr-bench resample REPEAT SIDE SCALE: seconds per 8-bit SIDE² tile → (SIDE/SCALE)² (Pillow bicubic).
    let repeatCount = Int(args[2]) ?? 100, side = Int(args[3]) ?? 256, scale = Int(args[4]) ?? 4
    var rng = SplitMix64(seed: 3)
    let tile = PixelArray(rows: side, columns: side, samples: .uint8((0 ..< side * side).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }))
    var best = Double.infinity
    for _ in 0 ..< 5 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0 ..< repeatCount { _ = Resample.bicubic(tile, columns: side / scale, rows: side / scale) }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(repeatCount))
    }
    print(best)
    exit(0)
}
if task == "register" {
    func plane(_ path: String) -> Plane {
        guard let (shape, samples) = try? NPYFile.read(URL(fileURLWithPath: path)), shape.count == 2 else { exit(1) }
        return Plane(rows: shape[0], columns: shape[1], values: samples.floats())
    }
    let repeatCount = Int(args[2]) ?? 1, scale = Double(args[3]) ?? 1
    let low = plane(args[4]), field = plane(args[5])
    var registration = Registration()
    if args.count > 6 && args[6] == "exhaustive" { registration.coarsestSide = Int.max }
    var best = Double.infinity
    var result: Registration.Result?
    for _ in 0 ..< repeatCount {
        let start = DispatchTime.now().uptimeNanoseconds
        result = registration.locate(field: field, in: low, scale: scale)
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    print(best, result!.x, result!.y, result!.score, result!.found, result!.evidence.map { String(format: "%.1f", $0.combinedZ) } ?? "-")
    exit(0)
}
if task == "ssim" {
    let repeatCount = Int(args[2]) ?? 1, range = Double(args[3]) ?? 1
    func plane(_ path: String) -> Plane {
        guard let (shape, samples) = try? NPYFile.read(URL(fileURLWithPath: path)), shape.count == 2 else {
            FileHandle.standardError.write(Data("medsr-bench: \(path) is not a 2-D .npy\n".utf8))
            exit(1)
        }
        return Plane(rows: shape[0], columns: shape[1], values: samples.floats())
    }
    let x = plane(args[4]), y = plane(args[5])
    var best = Double.infinity, value = 0.0
    var ssim = SSIM(dataRange: range)
    // MEDSR_THREADS=1 times one core (to see what the second one adds).
    if let t = ProcessInfo.processInfo.environment["MEDSR_THREADS"].flatMap({ Int($0) }) { ssim.threads = max(1, t) }
    _ = try? ssim.compute(x, y, map: true)  // one untimed call first (threads, pages), as the peer gets
    for _ in 0 ..< repeatCount {
        let start = DispatchTime.now().uptimeNanoseconds
        value = (try? ssim.compute(x, y, map: true).mean) ?? .nan
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    print(best, value)
    exit(0)
}
if task == "nlm" {
    guard args.count >= 9, let repeatCount = Int(args[2]), let patch = Int(args[3]), let distance = Int(args[4]),
          let h = Double(args[5]), let sigma = Double(args[6]),
          let (shape, samples) = try? NPYFile.read(URL(fileURLWithPath: args[7])), shape.count == 2 || shape.count == 3 else {
        FileHandle.standardError.write(Data("usage: medsr-bench nlm REPEAT PATCH DISTANCE H SIGMA IN.npy OUT.npy (IN: 2-D or 3-D float .npy)\n".utf8))
        exit(2)
    }
    let channels = shape.count == 3 ? shape[2] : 1, n = shape[0] * shape[1], values = samples.floats()
    let planes = (0 ..< channels).map { ch in Plane(rows: shape[0], columns: shape[1], values: (0 ..< n).map { values[$0 * channels + ch] }) }
    let threads = ProcessInfo.processInfo.environment["MEDSR_THREADS"].flatMap { Int($0) } ?? ProcessInfo.processInfo.activeProcessorCount
    let nlm = NonLocalMeans(patchSize: patch, patchDistance: distance, h: h, sigma: sigma)
    var out = nlm.apply(planes, workers: threads)  // one untimed call first, as the peer gets
    var best = Double.infinity
    for _ in 0 ..< repeatCount {
        let start = DispatchTime.now().uptimeNanoseconds
        out = nlm.apply(planes, workers: threads)
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let interleaved = (0 ..< n * channels).map { out[$0 % channels].values[$0 / channels] }
    let result = PixelArray(rows: shape[0], columns: shape[1], samplesPerPixel: channels, samples: .float32(interleaved))
    do { try NPYFile.write(result, to: URL(fileURLWithPath: args[8])) } catch {
        FileHandle.standardError.write(Data("medsr-bench: \(error)\n".utf8))
        exit(1)
    }
    print(best)
    exit(0)
}
var rest = Array(args.dropFirst(2))
var options = ReadOptions()
if task == "region" {
    options.region = Region(argument: rest.removeFirst())
}
let repeatCount = Int(rest.removeFirst()) ?? 1
let fixedOptions = options
let urls = rest.map { URL(fileURLWithPath: $0) }
var best = Double.infinity
var bytes = 0
for _ in 0 ..< repeatCount {
    let start = DispatchTime.now().uptimeNanoseconds
    bytes = 0
    if task == "readpar" {
        let total = Atomic<Int>(0), next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: ProcessInfo.processInfo.activeProcessorCount) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < urls.count else { return }
                guard let image = try? ImageFiles.read(urls[i], options: fixedOptions) else {
                    FileHandle.standardError.write(Data("medsr-bench: cannot read \(urls[i].path)\n".utf8))
                    exit(1)
                }
                total.wrappingAdd(image.pixels.byteCount, ordering: .relaxed)
            }
        }
        bytes = total.load(ordering: .relaxed)
    }
    for url in urls where task != "readpar" {
        do {
            if task == "figshare" {
                let r = try MATReader.figshareRecord(path: url.path)
                bytes += r.image.byteCount + (r.tumorMask?.values.count ?? 0)
            } else {
                bytes += try ImageFiles.read(url, options: options).pixels.byteCount
            }
        } catch {
            FileHandle.standardError.write(Data("medsr-bench: \(error)\n".utf8))
            exit(1)
        }
    }
    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}
print(best, bytes)
