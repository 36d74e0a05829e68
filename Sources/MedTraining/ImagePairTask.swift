import Foundation
import MedDataset
import MedIO
import MedImage
import MedMetrics
import MedNN
import MedReport
import Zarr

/// Image-to-image training (super-resolution and restoration): random aligned patches of a
/// pair source, a content loss (MSE, L1 or Charbonnier, + total variation, + perceptual), and
/// for GAN presets a discriminator step then the generator's adversarial term (SRGAN's
/// unconditional discriminator, or pix2pix's conditional PatchGAN that sees input and output
/// side by side). Validation: PSNR and SSIM of whole tiles beside a baseline (bicubic for SR,
/// the degraded input itself for restoration).
final class ImagePairTask: TrainingTask {
    let config: TrainingConfig
    let preset: TrainingPreset
    let dataset: Dataset
    let train: any PairSource
    let validation: (any PairSource)?
    let validationSplit: String?
    let network: any Model<Float>
    let slots: [TrainingSlot]
    let perceptual: PerceptualLoss?
    let isResidual: Bool
    /// The baseline's scores on the validation tiles (bicubic or the degraded input).
    private(set) var baseline: (psnr: Double, ssim: Double)?

    init(config: TrainingConfig, preset: TrainingPreset, dataset: Dataset, train: any PairSource, validation: (any PairSource)?,
         validationSplit: String?) throws {
        self.config = config
        self.preset = preset
        self.dataset = dataset
        self.train = train
        self.validation = validation
        self.validationSplit = validationSplit
        var initRNG = SplitMix64(seed: config.seed)
        var configuration = ModelConfiguration(architecture: preset.generator, channels: train.channels, scale: train.scale,
                                               width: config.width, depth: config.depth)
        configuration.options = config.modelOptions
        let plain: any Model<Float>
        do { plain = try ModelRegistry.make(configuration, rng: &initRNG) } catch { throw Trainer.TrainingError(message: "\(error)") }
        if plain.sizeMultiple > 1 && (config.patch * train.scale) % plain.sizeMultiple != 0 {
            throw Trainer.TrainingError(message: "\(preset.displayName) needs patches whose side is a multiple of \(plain.sizeMultiple); --patch \(config.patch) is not")
        }
        if let v = validation, plain.sizeMultiple > 1 && v.inputTile % plain.sizeMultiple != 0 {
            throw Trainer.TrainingError(message: "\(preset.displayName) needs tiles whose side is a multiple of \(plain.sizeMultiple); the dataset's are \(v.inputTile)")
        }
        isResidual = preset.task == .superResolution && (config.residual ?? (preset.generator == "espcn"))
        network = isResidual ? BicubicResidual(plain, startNearBicubic: true) : plain
        network.setThreads(config.threads)
        network.setTraining(true)
        let optimizer: any Optimizer<Float> = config.optimizer.make(learningRate: config.learningRate, weightDecay: config.weightDecay,
                                                                   momentum: config.momentum, nesterov: config.nesterov, workers: config.threads)
        var slots = [TrainingSlot(model: network, optimizer: optimizer, prefix: "", optimizerPrefix: "adam.")]
        if let d = preset.discriminator {
            // pix2pix's discriminator judges (input, output) pairs: twice the channels.
            let channels = preset.conditional ? 2 * train.channels : train.channels
            let disc: any Model<Float>
            do { disc = try ModelRegistry.make(ModelConfiguration(architecture: d, channels: channels), rng: &initRNG) } catch {
                throw Trainer.TrainingError(message: "\(error)")
            }
            guard config.patch * train.scale >= disc.minimumInputSize else {
                throw Trainer.TrainingError(message: "the \(d) discriminator needs target patches of at least \(disc.minimumInputSize) pixels; --patch \(config.patch)\(train.scale > 1 ? " × \(train.scale)" : "") is smaller")
            }
            disc.setThreads(config.threads)
            disc.setTraining(true)
            let dOptimizer: any Optimizer<Float> = config.optimizer.make(learningRate: config.learningRate, weightDecay: 0,
                                                                        momentum: config.momentum, nesterov: config.nesterov,
                                                                        betas: preset.conditional ? (0.5, 0.999) : (0.9, 0.999), workers: config.threads)
            slots.append(TrainingSlot(model: disc, optimizer: dOptimizer, prefix: "discriminator.", optimizerPrefix: "adam_d."))
        }
        self.slots = slots
        if let path = config.perceptualWeights {
            guard let data = FileManager.default.contents(atPath: path) else { throw Trainer.TrainingError(message: "\(path): perceptual weights missing or unreadable") }
            let loss = try PerceptualLoss(try SafeTensors.decode([UInt8](data), path: path), path: path)
            loss.setThreads(config.threads)
            perceptual = loss
        } else {
            perceptual = nil
        }
        if let path = config.initialWeights {
            guard let data = FileManager.default.contents(atPath: path) else { throw Trainer.TrainingError(message: "\(path): weights missing or unreadable") }
            try network.load(try SafeTensors.decode([UInt8](data), path: path), path: path)
        }
    }

    var task: ModelTask { preset.task }
    var displayName: String { preset.task == .superResolution ? "\(preset.displayName) ×\(train.scale)" : preset.displayName }
    var baselineName: String { preset.task == .superResolution ? "bicubic" : "degraded" }
    var columns: [String] { ["val_psnr", "val_ssim", "\(baselineName)_psnr", "\(baselineName)_ssim", "d_loss"] }

    var metadata: [String: String] {
        var m = [
            "data_max": String(Int(train.dataMax)), "dataset_recipe": dataset.card["recipe"]?.stringValue ?? "",
            "dataset_intensity": dataset.card["intensity"]?.serialized().trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
            "patch": String(config.patch), "batch": String(config.batch), "trained_as": preset.name,
            "content_loss": config.contentLoss.rawValue, "weight_decay": String(config.weightDecay),
            "residual": isResidual ? "bicubic" : "none", "optimizer": config.optimizer.rawValue,
        ]
        if perceptual != nil { m["perceptual_weight"] = String(config.perceptualWeight) }
        if let d = config.degradation { m["degradation"] = d }
        return m
    }

    func checkResume(_ m: [String: String], path: String) throws {
        guard (m["scale"] ?? "1") == String(train.scale) else {
            throw Trainer.TrainingError(message: "\(path): a ×\(m["scale"] ?? "?") checkpoint cannot resume a ×\(train.scale) run")
        }
        guard (m["trained_as"] ?? "espcn") == preset.name else {
            throw Trainer.TrainingError(message: "\(path): a \(m["trained_as"] ?? "?") checkpoint cannot resume a \(preset.name) run")
        }
        guard (m["residual"] ?? "none") == (isResidual ? "bicubic" : "none") else {
            throw Trainer.TrainingError(message: "\(path): the checkpoint was trained \(isResidual ? "without" : "with") a bicubic residual; this run is \(isResidual ? "residual" : "plain")")
        }
        guard m["degradation"] == config.degradation else {
            throw Trainer.TrainingError(message: "\(path): the checkpoint was trained on degradation \(m["degradation"] ?? "none"), this run on \(config.degradation ?? "none")")
        }
    }

    func prepare() throws {
        if baseline == nil, let validation { baseline = try Self.baselineScores(validation, limit: config.validationTiles) }
    }

    /// The discriminator's input: the image, or (conditional) the input beside it in channels.
    private func judged(_ image: Tensor<Float>, given input: Tensor<Float>) -> Tensor<Float> {
        guard preset.conditional else { return image }
        return Tensor(channels: input.channels + image.channels, batch: image.batch, rows: image.rows, columns: image.columns,
                      data: input.data + image.data)
    }

    /// The gradient for the image part of a conditional discriminator's input.
    private func imagePart(_ g: Tensor<Float>, channels: Int) -> Tensor<Float> {
        guard preset.conditional else { return g }
        let n = channels * g.batch * g.plane
        return Tensor(channels: channels, batch: g.batch, rows: g.rows, columns: g.columns, data: Array(g.data[(g.count - n)...]))
    }

    func step(lr: Double, rng: inout SplitMix64) throws -> StepOutcome {
        let (x, y) = try Patches.batch(train, size: config.batch, patch: config.patch, rng: &rng)
        network.zeroGradients()
        let out = network.forward(x)
        var (loss, g) = config.contentLoss.apply(out, y)
        if config.tvWeight > 0 {
            let tv = Loss.totalVariation(out)
            loss += config.tvWeight * tv.value
            let w = Float(config.tvWeight)
            for i in g.data.indices { g.data[i] += w * tv.gradient.data[i] }
        }
        if let perceptual {
            let p = perceptual(out, y)
            loss += config.perceptualWeight * p.value
            let w = Float(config.perceptualWeight)
            for i in g.data.indices { g.data[i] += w * p.gradient.data[i] }
        }
        var values = [String: Double]()
        if slots.count > 1 {
            let d = slots[1].model, dOptimizer = slots[1].optimizer
            // Discriminator: real targets → 1, generated ones → 0.
            d.zeroGradients()
            let real = Loss.bceWithLogits(d.forward(judged(y, given: x)), target: 1)
            d.backward(real.gradient)
            let fake = Loss.bceWithLogits(d.forward(judged(out, given: x)), target: 0)
            d.backward(fake.gradient)
            dOptimizer.update(d.trainable, lr: lr)
            values["d_loss"] = real.value + fake.value
            // The generator's adversarial term: the updated discriminator should call its output real.
            d.zeroGradients()
            let adversarial = Loss.bceWithLogits(d.forward(judged(out, given: x)), target: 1)
            let dOut = imagePart(d.backward(adversarial.gradient), channels: out.channels)
            let w = Float(config.adversarialWeight)
            for i in g.data.indices { g.data[i] += w * dOut.data[i] }
            loss += config.adversarialWeight * adversarial.value
        }
        guard loss.isFinite else { return StepOutcome(loss: loss) }
        network.backward(g)
        slots[0].optimizer.update(network.trainable, lr: lr)
        return StepOutcome(loss: loss, values: values)
    }

    /// Mean PSNR and SSIM of the model on whole validation tiles (values in [0, 1]), with batch
    /// norm on its running statistics.
    func validate() throws -> [String: Double] {
        guard let validation else { return [:] }
        network.setTraining(false)
        defer { network.setTraining(true) }
        var psnr = 0.0, ssim = 0.0
        let n = min(validation.count, config.validationTiles)
        for i in 0 ..< n {
            let (target, input) = try validation.pair(i, variant: 0)
            let x = Tensor<Float>(channels: validation.channels, batch: 1, rows: validation.inputTile, columns: validation.inputTile, data: input)
            let y = network.forward(x).data.map { min(max($0, 0), 1) }
            let (p, s) = try Self.score(y, target, channels: validation.channels, side: validation.tile)
            psnr += p
            ssim += s
        }
        var values = ["val_psnr": psnr / Double(n), "val_ssim": ssim / Double(n)]
        if let baseline {
            values["\(baselineName)_psnr"] = baseline.psnr
            values["\(baselineName)_ssim"] = baseline.ssim
        }
        return values
    }

    static func score(_ a: [Float], _ b: [Float], channels: Int, side: Int) throws -> (Double, Double) {
        let planeSize = side * side
        let pa = (0 ..< channels).map { Plane(rows: side, columns: side, values: Array(a[$0 * planeSize ..< ($0 + 1) * planeSize])) }
        let pb = (0 ..< channels).map { Plane(rows: side, columns: side, values: Array(b[$0 * planeSize ..< ($0 + 1) * planeSize])) }
        let s = try Scoring.score(reference: pb, candidate: pa, dataRange: 1)
        return (s.psnr.isFinite ? s.psnr : 100, s.ssim)
    }

    /// The input brought to the target's size: bicubic for SR, itself for restoration.
    static func baselineImage(_ input: [Float], _ source: any PairSource) -> [Float] {
        guard source.scale > 1 else { return input }
        var up = [Float]()
        let lrSide = source.inputTile
        for c in 0 ..< source.channels {
            let plane = Array(input[c * lrSide * lrSide ..< (c + 1) * lrSide * lrSide])
            let p = PixelArray(rows: lrSide, columns: lrSide, samples: .float32(plane))
            up += Resample.bicubic(p, columns: source.tile, rows: source.tile).samples.floats().map { min(max($0, 0), 1) }
        }
        return up
    }

    static func baselineScores(_ source: any PairSource, limit: Int) throws -> (psnr: Double, ssim: Double) {
        var psnr = 0.0, ssim = 0.0
        let n = min(source.count, limit)
        for i in 0 ..< n {
            let (target, input) = try source.pair(i, variant: 0)
            let (p, s) = try score(baselineImage(input, source), target, channels: source.channels, side: source.tile)
            psnr += p
            ssim += s
        }
        return (psnr / Double(n), ssim / Double(n))
    }

    func validationLine(_ record: TrainingRecord) -> String? {
        guard let p = record.valPSNR, let s = record.valSSIM else { return nil }
        var line = String(format: "step %d  validation: %@ PSNR %.2f dB, SSIM %.4f", record.step, preset.displayName, p, s)
        if let b = baseline {
            line += String(format: "; %@ %.2f dB, %.4f; %+.2f dB, %+.4f SSIM", baselineName, b.psnr, b.ssim, p - b.psnr, s - b.ssim)
        }
        return line
    }

    /// A warning when the last validation left the model behind the baseline on PSNR or SSIM.
    func behindBaselineWarning(_ records: [TrainingRecord]) -> String? {
        guard let r = records.last(where: { $0.valPSNR != nil }), let p = r.valPSNR, let s = r.valSSIM, let b = baseline else { return nil }
        guard p < b.psnr || s < b.ssim else { return nil }
        let advice = preset.task == .superResolution
            ? "upscaling with it loses to plain interpolation; train longer (--steps), check the dataset's tiles, or keep bicubic"
            : "train longer (--steps), lower --lr, or check --degradation"
        let which = p < b.psnr && s < b.ssim ? "on PSNR and SSIM" : p < b.psnr ? "on PSNR (SSIM is better)" : "on SSIM (PSNR is better)"
        return String(format: "warning: after %d steps the model is behind %@ %@ on the validation tiles (PSNR %.2f vs %.2f dB, SSIM %.4f vs %.4f): %@",
                      r.step, baselineName, which, p, b.psnr, s, b.ssim, advice)
    }

    var reportIntroduction: String {
        let what = preset.task == .superResolution
            ? "patches \(config.patch)² LR / \(config.patch * train.scale)² HR"
            : "patches \(config.patch)², inputs degraded by \(config.degradation ?? "?") (the same degradation, freshly drawn, for every patch)"
        return "Dataset recipe \(dataset.card["recipe"]?.stringValue ?? "?"), \(train.count) training tiles, \(what), batch \(config.batch), "
            + "\(config.steps) steps, \(config.optimizer.rawValue) lr \(config.learningRate) (\(config.schedule)), seed \(config.seed), content loss \(config.contentLoss.rawValue)"
            + (config.tvWeight > 0 ? " + \(config.tvWeight) × TV" : "")
            + (perceptual != nil ? " + \(config.perceptualWeight) × perceptual (VGG features through index \(perceptual!.depth - 1))" : "")
            + (slots.count > 1 ? " + \(config.adversarialWeight) × adversarial (\(preset.discriminator ?? "") trained alongside\(preset.conditional ? ", conditioned on the input" : ""))" : "")
            + ". Validation: " + (validationSplit.map { "\(min(validation?.count ?? 0, config.validationTiles)) tiles of the \($0) split." } ?? "none (no val or test tiles).")
    }

    func addReport(to page: inout HTMLReport, records: [TrainingRecord]) throws {
        let steps = records.map { Double($0.step) }
        if slots.count > 1 {
            let d = records.compactMap(\.discriminatorLoss)
            if d.count == records.count {
                page.addFigure(heading: nil, svg: SVGPlot.lines(title: "discriminator loss", x: steps, series: [("real + fake BCE", d)]),
                               caption: "The discriminator's loss per step (2 ln 2 ≈ 1.39 when it cannot tell the output from the target).")
            }
        }
        let name = preset.displayName
        let validated = records.filter { $0.valPSNR != nil }
        if !validated.isEmpty {
            let vx = validated.map { Double($0.step) }
            var series: [(name: String, y: [Double])] = [(name, validated.map { $0.valPSNR! })]
            if let b = baseline { series.append((baselineName, Array(repeating: b.psnr, count: validated.count))) }
            page.addFigure(heading: "Validation", svg: SVGPlot.lines(title: "PSNR (dB)", x: vx, series: series), caption: "Mean PSNR on the validation tiles.")
            var ssimSeries: [(name: String, y: [Double])] = [(name, validated.map { $0.valSSIM! })]
            if let b = baseline { ssimSeries.append((baselineName, Array(repeating: b.ssim, count: validated.count))) }
            page.addFigure(heading: nil, svg: SVGPlot.lines(title: "SSIM", x: vx, series: ssimSeries), caption: "Mean SSIM on the validation tiles.")
            if let last = validated.last {
                page.addTable(heading: "Final validation", header: ["method", "PSNR (dB)", "SSIM"],
                              rows: [[name, String(format: "%.2f", last.valPSNR!), String(format: "%.4f", last.valSSIM!)]]
                                + (baseline.map { [[baselineName, String(format: "%.2f", $0.psnr), String(format: "%.4f", $0.ssim)]] } ?? []))
            }
        }
        if let validation, let samples = try? sampleImages(validation, count: 3), !samples.isEmpty {
            page.addHeading("Samples: the first \(samples.count) tile(s) of the \(validationSplit ?? "validation") split")
            page.addText(heading: nil, (preset.task == .superResolution ? "LR shown with nearest-neighbour enlargement, bicubic, " : "The degraded input, ")
                + "the model's output and the target tile, each with its PSNR against the target. Click an image to see it at full resolution.")
            for (title, images) in samples { page.addGalleryRow(title: title, images: images, note: "") }
        }
    }

    /// Input, baseline, model and target of the first `count` validation tiles as 8-bit PNGs.
    func sampleImages(_ source: any PairSource, count: Int) throws -> [(String, [(label: String, png: [UInt8])])] {
        network.setTraining(false)
        defer { network.setTraining(true) }
        let c = source.channels, side = source.tile, inSide = source.inputTile
        func png(_ planar: [Float], _ n: Int) throws -> [UInt8] {
            let plane = n * n
            var interleaved = [UInt8](repeating: 0, count: plane * c)
            for ch in 0 ..< c { for i in 0 ..< plane { interleaved[i * c + ch] = UInt8(min(max((planar[ch * plane + i] * 255).rounded(), 0), 255)) } }
            return try PNGCodec.encode(PixelArray(rows: n, columns: n, samplesPerPixel: c, samples: .uint8(interleaved)))
        }
        var out = [(String, [(label: String, png: [UInt8])])]()
        for i in 0 ..< min(count, source.count) {
            let (target, input) = try source.pair(i, variant: 0)
            let x = Tensor<Float>(channels: c, batch: 1, rows: inSide, columns: inSide, data: input)
            let result = network.forward(x).data.map { min(max($0, 0), 1) }
            let base = Self.baselineImage(input, source)
            let (pb, _) = try Self.score(base, target, channels: c, side: side)
            let (pm, _) = try Self.score(result, target, channels: c, side: side)
            var row: [(label: String, png: [UInt8])] = []
            if source.scale > 1 {
                var nearest = [Float]()
                for ch in 0 ..< c {
                    let p = PixelArray(rows: inSide, columns: inSide, samples: .float32(Array(input[ch * inSide * inSide ..< (ch + 1) * inSide * inSide])))
                    nearest += Resample.nearest(p, columns: side, rows: side).samples.floats()
                }
                row.append(("LR \(inSide)² (nearest)", try png(nearest, side)))
            }
            row.append((String(format: "%@ %.2f dB", baselineName, pb), try png(base, side)))
            row.append((String(format: "%@ %.2f dB", preset.displayName, pm), try png(result, side)))
            row.append(("\(preset.task == .superResolution ? "HR" : "target") \(side)²", try png(target, side)))
            out.append(("tile \(i) of the \(validationSplit ?? "validation") split", row))
        }
        return out
    }
}
