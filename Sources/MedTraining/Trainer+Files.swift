import Foundation
import MedDataset
import MedIO
import MedImage
import MedMetrics
import MedNN
import MedReport
import Zarr

extension Trainer {
    func metadata() -> [String: String] {
        [
            "data_max": String(Int(train.dataMax)), "dataset_recipe": dataset.card["recipe"]?.stringValue ?? "",
            "dataset_intensity": dataset.card["intensity"]?.serialized().trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
            "steps": String(step), "trained_by": "medsr \(MedSRVersion.string)", "patch": String(config.patch),
            "batch": String(config.batch), "seed": String(config.seed), "trained_as": kind.rawValue,
            "content_loss": config.contentLoss, "weight_decay": String(config.weightDecay),
            "residual": isResidual ? "bicubic" : "none",
        ].merging(perceptual == nil ? [:] : ["perceptual_weight": String(config.perceptualWeight)]) { a, _ in a }
    }

    /// Model, optimiser moments, step and generator state: enough to continue exactly.
    func saveCheckpoint() throws {
        var file = SafeTensors.File()
        func put(_ parameters: [Parameter<Float>], prefix: String, _ adam: Adam<Float>, adamPrefix: String) {
            for p in parameters {
                file.tensors[prefix + p.name] = (p.shape, p.value)
                if p.isInteger { file.integers.insert(prefix + p.name) }
                guard !p.isBuffer else { continue }
                file.tensors[adamPrefix + "m." + p.name] = (p.shape, adam.m[p.name] ?? Array(repeating: 0, count: p.value.count))
                file.tensors[adamPrefix + "v." + p.name] = (p.shape, adam.v[p.name] ?? Array(repeating: 0, count: p.value.count))
            }
        }
        put(network.parameters, prefix: "", optimizer, adamPrefix: "adam.")
        if let d = discriminator, let dAdam = discriminatorOptimizer {
            put(d.parameters, prefix: "discriminator.", dAdam, adamPrefix: "adam_d.")
        }
        file.metadata = metadata().merging([
            "format": "pt", "architecture": network.architecture, "scale": String(config.scale), "channels": String(train.channels),
            "checkpoint_step": String(step), "rng_state": String(rng.state, radix: 16),
            "adam_step": String(optimizer.step), "steps_total": String(config.steps), "lr": String(config.learningRate),
            "schedule": config.schedule.rawValue, "adam_d_step": String(discriminatorOptimizer?.step ?? 0),
        ]) { _, new in new }
        try FileStore.writeAtomically(SafeTensors.encode(file), to: checkpointURL)
        try writeMetricsCSV()
    }

    /// Restores a checkpoint written by `saveCheckpoint` (and the metrics recorded up to it).
    public func resume(from path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError(message: "\(path): checkpoint missing or unreadable")
        }
        let file = try SafeTensors.decode([UInt8](data), path: path)
        guard let s = file.metadata["checkpoint_step"].flatMap(Int.init), let state = file.metadata["rng_state"].flatMap({ UInt64($0, radix: 16) }),
              let adamStep = file.metadata["adam_step"].flatMap(Int.init) else {
            throw TrainingError(message: "\(path): not a MedSR checkpoint (no step, generator or optimiser state)")
        }
        guard file.metadata["scale"] == String(config.scale) else {
            throw TrainingError(message: "\(path): a ×\(file.metadata["scale"] ?? "?") checkpoint cannot resume a ×\(config.scale) run")
        }
        guard (file.metadata["trained_as"] ?? "espcn") == kind.rawValue else {
            throw TrainingError(message: "\(path): a \(file.metadata["trained_as"] ?? "?") checkpoint cannot resume a \(kind.rawValue) run")
        }
        guard (file.metadata["residual"] ?? "none") == (isResidual ? "bicubic" : "none") else {
            throw TrainingError(message: "\(path): the checkpoint was trained \(isResidual ? "without" : "with") a bicubic residual; this run is \(isResidual ? "residual" : "plain")")
        }
        try network.load(file, path: path)
        for p in network.trainable {
            optimizer.m[p.name] = file.tensors["adam.m." + p.name]?.values
            optimizer.v[p.name] = file.tensors["adam.v." + p.name]?.values
        }
        optimizer.restore(step: adamStep)
        if let d = discriminator, let dAdam = discriminatorOptimizer {
            var inner = SafeTensors.File()
            for p in d.parameters { inner.tensors[p.name] = file.tensors["discriminator." + p.name] }
            try SafeTensors.load(d.parameters, from: inner, path: path, what: "checkpoint with a discriminator")
            for p in d.trainable {
                dAdam.m[p.name] = file.tensors["adam_d.m." + p.name]?.values
                dAdam.v[p.name] = file.tensors["adam_d.v." + p.name]?.values
            }
            dAdam.restore(step: file.metadata["adam_d_step"].flatMap(Int.init) ?? 0)
        }
        rng = SplitMix64(state: state)
        step = s
        records = Self.readMetrics(run.appendingPathComponent("metrics.csv")).filter { $0.step <= s }
    }

    func writeMetricsCSV() throws {
        var lines = ["step,loss,lr,val_psnr,val_ssim,bicubic_psnr,bicubic_ssim,seconds,d_loss"]
        for r in records {
            func f(_ v: Double?) -> String { v.map { String(format: "%.6f", $0) } ?? "" }
            lines.append("\(r.step),\(String(format: "%.8f", r.loss)),\(String(format: "%.8g", r.learningRate)),\(f(r.valPSNR)),\(f(r.valSSIM)),"
                + "\(r.valPSNR != nil ? f(bicubic?.psnr) : ""),\(r.valPSNR != nil ? f(bicubic?.ssim) : ""),\(String(format: "%.3f", r.seconds)),"
                + f(r.discriminatorLoss))
        }
        try FileStore.writeAtomically(Array((lines.joined(separator: "\n") + "\n").utf8), to: run.appendingPathComponent("metrics.csv"))
    }

    static func readMetrics(_ url: URL) -> [TrainingRecord] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 8, let step = Int(f[0]), let loss = Double(f[1]), let lr = Double(f[2]), let s = Double(f[7]) else { return nil }
            return TrainingRecord(step: step, loss: loss, learningRate: lr, valPSNR: Double(f[3]), valSSIM: Double(f[4]), seconds: s,
                                  discriminatorLoss: f.count > 8 ? Double(f[8]) : nil)
        }
    }

    func writeOutputs() throws {
        try FileStore.writeAtomically(network.safetensors(metadata: metadata()), to: modelURL)
        try writeMetricsCSV()
        let name = kind.displayName
        var page = HTMLReport(title: "MedSR training run: \(name) ×\(config.scale)")
        page.addText(heading: nil, "Dataset recipe \(dataset.card["recipe"]?.stringValue ?? "?"), \(train.count) training tiles, "
            + "patches \(config.patch)² LR / \(config.patch * config.scale)² HR, batch \(config.batch), \(config.steps) steps, "
            + "Adam lr \(config.learningRate) (\(config.schedule.rawValue)), seed \(config.seed), content loss \(config.contentLoss)"
            + (config.tvWeight > 0 ? " + \(config.tvWeight) × TV" : "")
            + (perceptual != nil ? " + \(config.perceptualWeight) × perceptual (VGG features through index \(perceptual!.depth - 1))" : "")
            + (kind.adversarial ? " + \(config.adversarialWeight) × adversarial (discriminator trained alongside)" : "") + ". Validation: "
            + (validationSplit.map { "\(min(validation?.count ?? 0, config.validationTiles)) tiles of the \($0) split." } ?? "none (no val or test tiles)."))
        let steps = records.map { Double($0.step) }
        page.addFigure(heading: "Loss", svg: SVGPlot.lines(title: "generator loss (log scale)", x: steps, series: [("train loss", records.map(\.loss))], logY: true),
                       caption: "The generator's total training loss per step.")
        page.addFigure(heading: nil, svg: SVGPlot.lines(title: "learning rate", x: steps, series: [("learning rate", records.map(\.learningRate))]),
                       caption: "The learning rate per step (\(config.schedule.rawValue) schedule from \(config.learningRate)).")
        if kind.adversarial {
            let d = records.compactMap(\.discriminatorLoss)
            if d.count == records.count {
                page.addFigure(heading: nil, svg: SVGPlot.lines(title: "discriminator loss", x: steps, series: [("real + fake BCE", d)]),
                               caption: "The discriminator's loss per step (2 ln 2 ≈ 1.39 when it cannot tell SR from HR).")
            }
        }
        let validated = records.filter { $0.valPSNR != nil }
        if !validated.isEmpty {
            let vx = validated.map { Double($0.step) }
            var series: [(name: String, y: [Double])] = [(name, validated.map { $0.valPSNR! })]
            if let b = bicubic { series.append(("bicubic", Array(repeating: b.psnr, count: validated.count))) }
            page.addFigure(heading: "Validation", svg: SVGPlot.lines(title: "PSNR (dB)", x: vx, series: series), caption: "Mean PSNR on the validation tiles.")
            var ssimSeries: [(name: String, y: [Double])] = [(name, validated.map { $0.valSSIM! })]
            if let b = bicubic { ssimSeries.append(("bicubic", Array(repeating: b.ssim, count: validated.count))) }
            page.addFigure(heading: nil, svg: SVGPlot.lines(title: "SSIM", x: vx, series: ssimSeries), caption: "Mean SSIM on the validation tiles.")
            if let last = validated.last {
                page.addTable(heading: "Final validation", header: ["method", "PSNR (dB)", "SSIM"],
                              rows: [[name, String(format: "%.2f", last.valPSNR!), String(format: "%.4f", last.valSSIM!)]]
                                + (bicubic.map { [["bicubic", String(format: "%.2f", $0.psnr), String(format: "%.4f", $0.ssim)]] } ?? []))
            }
        }
        if let validation, let samples = try? sampleImages(validation, count: 3), !samples.isEmpty {
            page.addHeading("Samples: the first \(samples.count) tile(s) of the \(validationSplit ?? "validation") split")
            page.addText(heading: nil, "LR shown with nearest-neighbour enlargement, bicubic, the model's output and the HR tile, each with its "
                + "PSNR against HR. Click an image to see it at full resolution.")
            for (title, images) in samples { page.addGalleryRow(title: title, images: images, note: "") }
        }
        try page.write(to: run.appendingPathComponent("report.html"))
    }

    /// LR, bicubic, model and HR of the first `count` validation tiles as 8-bit PNGs, titled
    /// with the tile's index.
    func sampleImages(_ source: TileSource, count: Int) throws -> [(String, [(label: String, png: [UInt8])])] {
        network.setTraining(false)
        defer { network.setTraining(true) }
        let c = source.channels, side = source.tile, lrSide = source.lrTile
        func png(_ planar: [Float], _ n: Int) throws -> [UInt8] {
            let plane = n * n
            var interleaved = [UInt8](repeating: 0, count: plane * c)
            for ch in 0 ..< c { for i in 0 ..< plane { interleaved[i * c + ch] = UInt8(min(max((planar[ch * plane + i] * 255).rounded(), 0), 255)) } }
            return try PNGCodec.encode(PixelArray(rows: n, columns: n, samplesPerPixel: c, samples: .uint8(interleaved)))
        }
        var out = [(String, [(label: String, png: [UInt8])])]()
        for i in 0 ..< min(count, source.count) {
            let (hr, lr) = try source.pair(i)
            let x = Tensor<Float>(channels: c, batch: 1, rows: lrSide, columns: lrSide, data: lr)
            let sr = network.forward(x).data.map { min(max($0, 0), 1) }
            var bicubicUp = [Float](), nearestUp = [Float]()
            for ch in 0 ..< c {
                let p = PixelArray(rows: lrSide, columns: lrSide, samples: .float32(Array(lr[ch * lrSide * lrSide ..< (ch + 1) * lrSide * lrSide])))
                bicubicUp += Resample.bicubic(p, columns: side, rows: side).samples.floats().map { min(max($0, 0), 1) }
                nearestUp += Resample.nearest(p, columns: side, rows: side).samples.floats()
            }
            let (pb, _) = try Self.score(bicubicUp, hr, channels: c, side: side)
            let (pm, _) = try Self.score(sr, hr, channels: c, side: side)
            out.append(("tile \(i) of the \(validationSplit ?? "validation") split", [
                ("LR \(lrSide)² (nearest)", try png(nearestUp, side)), (String(format: "bicubic %.2f dB", pb), try png(bicubicUp, side)),
                (String(format: "%@ %.2f dB", kind.displayName, pm), try png(sr, side)), ("HR \(side)²", try png(hr, side)),
            ]))
        }
        return out
    }
}
