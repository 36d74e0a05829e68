import ArgumentParser
import Foundation
import MedDataset
import MedEvaluation
import MedImage
import MedMetrics
import MedNN
import MedReport
import Synchronization
import Zarr

/// Options shared by `evaluate` and `audit` on a dataset.
struct DatasetScoringOptions: ParsableArguments {
    @Option(help: "Dataset folder built by medsr build.") var dataset: String?
    @Option(help: "train, val or test.") var split = "test"
    @Option(parsing: .unconditional, help: "The LR scale to evaluate (an lr_x<scale> array of the dataset).") var scale = 4
    @Option(parsing: .unconditional, help: "Score at most this many tiles (the first ones).") var limit: Int?
    @Flag(name: .customLong("per-channel"), help: "Colour tiles: average over R, G, B instead of luminance (BT.601 Y).") var perChannel = false
    @Flag(name: .customLong("crop-border"), help: "Leave out <scale> pixels on every side (the SR convention).") var cropBorder = false
    @Flag(name: .customLong("whole-windows"), help: "Masked SSIM: count only pixels whose 11×11 window lies wholly inside (or outside) the mask.") var wholeWindows = false
    @Option(name: .customLong("sharpen-radius"), parsing: .unconditional, help: "Unsharp mask Gaussian σ in pixels.") var sharpenRadius = 2.0
    @Option(name: .customLong("sharpen-amount"), parsing: .unconditional, help: "Unsharp mask amount (1.5 = 150%).") var sharpenAmount = 1.5
    @Option(name: .customLong("sharpen-threshold"), parsing: .unconditional, help: "Unsharp mask threshold in 8-bit levels.") var sharpenThreshold = 3.0
    @Option(help: "A model from medsr train (.safetensors, or its run folder), scored as 'model'.") var model: String?
    @Option(help: "sr (LR tiles against HR; the default) or restore (HR tiles degraded by --degradation, restored).") var task: TrainingTaskChoice = .sr
    @Option(help: "restore: the degradation that makes each input (default: the one the --model was trained on).") var degradation: String?
    @Option(parsing: .unconditional, help: "restore: seed of the degradations (each tile gets its own, the same in every run).") var seed: UInt64 = 1
    @Option(name: .shortAndLong, parsing: .unconditional, help: "Threads (default: cores).") var jobs: Int?

    func evaluator() throws -> DatasetEvaluator {
        guard let dataset else { throw ValidationError("--dataset is required") }
        let ds = try withCleanError { try Dataset(root: URL(fileURLWithPath: dataset)) }
        var e = DatasetEvaluator(dataset: ds, split: split, scale: scale)
        e.luminance = !perChannel
        e.cropBorder = cropBorder
        e.wholeWindows = wholeWindows
        e.limit = limit
        e.threads = jobs ?? processorCount
        e.sharpen.radius = sharpenRadius
        e.sharpen.amount = sharpenAmount
        e.sharpen.threshold = sharpenThreshold
        if let model { e.model = try withCleanError { try EnhancementModel(path: model) } }
        if task == .restore {
            guard let spec = degradation ?? e.model?.metadata["degradation"] else {
                throw ValidationError("--task restore needs --degradation SPEC (or a --model that records the degradation it was trained on)")
            }
            var sharpen = UnsharpMask()
            sharpen.radius = sharpenRadius
            sharpen.amount = sharpenAmount
            sharpen.threshold = sharpenThreshold
            e.restoration = try withCleanError { try DatasetEvaluator.RestorationSetup.standard(spec: spec, seed: seed, sharpen: sharpen) }
        } else if degradation != nil {
            throw ValidationError("--degradation applies to --task restore")
        }
        return e
    }

    func description(_ e: DatasetEvaluator) -> String {
        if let r = e.restoration {
            return "split \(split), restoration of \(r.spec) (each tile degraded with seed \(seed), stored in the dataset's sample type); baselines: "
                + r.baselines.map { $0.name == "sharpen" ? "sharpen = unsharp mask (Gaussian σ \(sharpenRadius), amount \(sharpenAmount), threshold \(sharpenThreshold))"
                    : $0.name == "gaussian" ? "gaussian = Gaussian filter σ 1 px" : $0.name == "median" ? "median = 3×3 median"
                    : "nlm = non-local means as scikit-image's fast mode (patch 5, distance 6, h = 0.8σ)" }.joined(separator: "; ")
                + "; SSIM: Gaussian 11×11, σ 1.5, K1 0.01, K2 0.03, \(perChannel ? "per channel" : "on luminance")" + (wholeWindows ? ", mask SSIM over whole windows only" : "")
        }
        return "split \(split), ×\(scale); bicubic = the dataset's degradation kernel (Pillow-compatible bicubic); "
            + "sharpen = unsharp mask (Gaussian σ \(sharpenRadius), amount \(sharpenAmount), threshold \(sharpenThreshold)) on bicubic; "
            + "SSIM: Gaussian 11×11, σ 1.5, K1 0.01, K2 0.03, \(perChannel ? "per channel" : "on luminance")"
            + (cropBorder ? ", \(scale)-pixel border left out" : "") + (wholeWindows ? ", mask SSIM over whole windows only" : "")
    }

    /// Runs the evaluator with a progress bar.
    func scored(_ e: DatasetEvaluator) throws -> [TileResult] {
        let count = min((try? e.dataset.array(split, "hr").count) ?? 0, limit ?? .max)
        guard count > 0 else {
            report("medsr: \(dataset ?? ""): the \(split) split has no tiles")
            throw ExitCode(1)
        }
        let bar = Progress(total: count, unit: "tiles")
        defer { bar.finish() }
        return try withCleanError { try e.run { bar.advance() } }
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score super-resolution or restoration against HR: PSNR, SSIM, SSIM inside and outside masks, with baselines.",
        discussion: """
        On a dataset: every tile of --split is upscaled from lr_x<scale> by bicubic (the dataset's \
        own degradation kernel) and by bicubic + unsharp mask ("editing-software sharpening"), and \
        scored against hr. --csv writes one row per tile and method: \
        name,method,psnr,ssim,mse,ssim_mask,ssim_background (empty when undefined, e.g. a mask \
        smaller than one SSIM window; inf PSNR for identical images). --json writes mean, std and \
        95% bootstrap intervals by method, split and label. --report writes one self-contained HTML page.

        On plain files: --pred DIR --ref DIR [--mask DIR] matches files by name (any format MedSR \
        reads); the data range is never guessed from a 16-bit type: give --data-range (8-bit images \
        use 255, DICOM uses Bits Stored).

        --model M adds the trained model (the model.safetensors that medsr train writes, or its \
        run folder) as a third method, `model`.

        --task restore evaluates restoration instead: every HR tile of --split is degraded by \
        --degradation (default: the one --model was trained on; each tile with its own seed from \
        --seed, stored in the dataset's sample type as a file would be) and scored as `degraded`, \
        beside the baselines for that degradation — `sharpen` (unsharp mask) for blur, \
        `gaussian`, `median` and `nlm` (non-local means, as scikit-image's fast mode) for noise — \
        and `model`. The printed table's MSE column is the microscopy study's comparison (mean \
        MSE of filter sharpening vs the network over the split).

        Examples:
          medsr evaluate --dataset ds/ --split test --scale 4 --csv scores.csv --report report.html
          medsr evaluate --pred sr/ --ref hr/ --mask masks/ --data-range 4095 --csv scores.csv
          medsr evaluate --dataset ds/ --task restore --model runs/dncnn-15 --report restore.html
        """
    )

    @OptionGroup var options: DatasetScoringOptions
    @Option(help: "Folder of predicted images (plain-file mode).") var pred: String?
    @Option(help: "Folder of reference images (plain-file mode).") var ref: String?
    @Option(help: "Folder of masks matched by name (plain-file mode).") var mask: String?
    @Option(name: .customLong("data-range"), parsing: .unconditional, help: "Data range R of the images (plain-file mode).") var dataRange: Double?
    @Option(help: "Write per-tile scores here (CSV).") var csv: String?
    @Option(help: "Write the summary here (JSON).") var json: String?
    @Option(name: .customLong("report"), help: "Write an HTML report here.") var reportPath: String?

    func validate() throws {
        if (pred == nil) != (ref == nil) { throw ValidationError("--pred and --ref go together") }
        if pred == nil && options.dataset == nil { throw ValidationError("give --dataset DS, or --pred DIR --ref DIR") }
        if pred != nil && options.dataset != nil { throw ValidationError("give either --dataset or --pred/--ref, not both") }
        if let dataRange, !(dataRange > 0) { throw ValidationError("--data-range must be positive") }
    }

    func run() throws {
        try prepareOutputs([csv, json, reportPath])
        if options.task == .classify { return try runClassify() }
        if let pred, let ref {
            try runPairs(pred: pred, ref: ref)
            return
        }
        let e = try options.evaluator()
        let results = try options.scored(e)
        try write(results, dataRange: e.maxValue, csvHeader: TileResult.csvHeader, withMethod: true)
        printSummary(results)
        if let reportPath {
            let page = try withCleanError {
                try EvaluationReport.build(title: "MedSR evaluation: \(URL(fileURLWithPath: options.dataset!).lastPathComponent)",
                                           context: options.description(e), results: results, audit: Audit(results),
                                           masks: e.dataset.hasMasks) { try e.images($0.index) }
            }
            try withCleanError { try page.write(to: URL(fileURLWithPath: reportPath)) }
            print("report: \(reportPath)")
        }
    }

    func runPairs(pred: String, ref: String) throws {
        var e = PairEvaluator(predictions: URL(fileURLWithPath: pred), references: URL(fileURLWithPath: ref))
        e.masks = mask.map { URL(fileURLWithPath: $0) }
        e.dataRange = dataRange
        e.luminance = !options.perChannel
        e.wholeWindows = options.wholeWindows
        let (results, failed, range) = try withCleanError { try e.run() }
        for (name, why) in failed { report("medsr: \(name): \(why)") }
        try write(results, dataRange: range, csvHeader: "name,psnr,ssim,mse,ssim_mask,ssim_background", withMethod: false)
        printSummary(results)
        if reportPath != nil { report("medsr: --report needs --dataset (the gallery shows LR, baselines and HR tiles)") }
        if results.isEmpty { throw ExitCode(1) }
        if !failed.isEmpty { throw ExitCode(3) }
    }

    func write(_ results: [TileResult], dataRange: Double, csvHeader: String, withMethod: Bool) throws {
        if let csv {
            let text = ([csvHeader] + results.flatMap { $0.csvRows(withMethod: withMethod) }).joined(separator: "\n") + "\n"
            try withCleanError { try FileStore.writeAtomically(Array(text.utf8), to: URL(fileURLWithPath: csv)) }
        }
        if let json {
            try withCleanError {
                try FileStore.writeAtomically(Array(EvaluationSummary.json(results, dataRange: dataRange).serialized().utf8),
                                              to: URL(fileURLWithPath: json))
            }
        }
    }

    func printSummary(_ results: [TileResult]) {
        print("method        tiles   PSNR dB [95% CI]          SSIM [95% CI]              SSIM in mask   SSIM outside   MSE (mean)")
        for m in results.first?.methods ?? [] {
            let s = results.compactMap { $0.scores[m] }
            let p = Summary(s.map(\.psnr)), q = Summary(s.map(\.ssim))
            let inside = Summary(s.compactMap { $0.ssimMask?.value }), outside = Summary(s.compactMap { $0.ssimBackground?.value })
            func v(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : "–" }
            print(m.padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: "%6d   %6.2f [%6.2f, %6.2f]   %.4f [%.4f, %.4f]   ", s.count, p.mean, p.ciLow, p.ciHigh, q.mean, q.ciLow, q.ciHigh)
                + v(inside.mean).padding(toLength: 15, withPad: " ", startingAt: 0) + v(outside.mean).padding(toLength: 15, withPad: " ", startingAt: 0)
                + String(format: "%.6g", Summary(s.map(\.mse)).mean))
        }
        let identical = results.flatMap { r in r.scores.values.filter { $0.psnr == .infinity } }.count
        if identical > 0 { print("(\(identical) identical image(s): PSNR infinite, left out of the PSNR means)") }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The tumour-region audit: does a method change what is inside the mask more than the rest?",
        discussion: """
        For every tile of --split with a mask: SSIM inside vs outside the mask, the shift of mean \
        and std of intensity inside the mask in source units (the tile's lo/hi from tiles.csv, e.g. \
        HU for CT), the fraction of tiles where the mask region changed more than the background, \
        the worst tiles, and flags when a method improves the whole tile but degrades the mask region.

        Examples:
          medsr audit --dataset ds/ --split test --scale 4 --report audit.html
        """
    )

    @OptionGroup var options: DatasetScoringOptions
    @Option(parsing: .unconditional, help: "List this many worst tiles.") var worst = 10
    @Option(help: "Write per-tile scores here (CSV, as medsr evaluate --csv).") var csv: String?
    @Option(name: .customLong("report"), help: "Write an HTML report here.") var reportPath: String?

    func run() throws {
        try prepareOutputs([csv, reportPath])
        let e = try options.evaluator()
        guard e.dataset.hasMasks else {
            report("medsr: \(options.dataset ?? ""): the dataset has no masks; the audit needs them (build with a recipe that has masks)")
            throw ExitCode(1)
        }
        let results = try options.scored(e)
        let audit = MedEvaluation.Audit(results, worstCount: worst)
        print("method        tiles  SSIM in mask  SSIM outside  mask changed more  mean shift  |shift|  std shift  wins overall/loses in mask")
        for m in audit.methods {
            print(m.method.padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: "%6d  %12.4f  %12.4f  %16.0f%%  %+10.2f  %7.2f  %+9.2f  %d", m.tiles, m.ssimMask, m.ssimBackground,
                         m.tumourChangedMore * 100, m.meanShift, m.meanAbsShift, m.stdShift, m.improvesWholeDegradesTumour))
        }
        print("(intensity shifts in source units; \(audit.skippedTiles) tile(s) without a usable mask left out)")
        print("worst tiles by SSIM inside the mask:")
        for w in audit.worst {
            print("  \(w.name)  \(w.method)  \(w.label)  in mask \(String(format: "%.4f", w.ssimMask))  outside \(w.ssimBackground.isFinite ? String(format: "%.4f", w.ssimBackground) : "–")")
        }
        for flag in audit.flags { print("FLAG: \(flag)") }
        if let csv {
            let text = ([TileResult.csvHeader] + results.flatMap { $0.csvRows() }).joined(separator: "\n") + "\n"
            try withCleanError { try FileStore.writeAtomically(Array(text.utf8), to: URL(fileURLWithPath: csv)) }
        }
        if let reportPath {
            let page = try withCleanError {
                try EvaluationReport.build(title: "MedSR tumour-region audit: \(URL(fileURLWithPath: options.dataset!).lastPathComponent)",
                                           context: options.description(e), results: results, audit: audit, masks: true) { try e.images($0.index) }
            }
            try withCleanError { try page.write(to: URL(fileURLWithPath: reportPath)) }
            print("report: \(reportPath)")
        }
    }
}

/// Checks, before any scoring, that every requested output file can be written: a read-only or
/// full disk is one line naming the path and exit status 1 now, not after all the work.
func prepareOutputs(_ paths: [String?]) throws {
    try withCleanError {
        for path in paths.compactMap({ $0 }) { try OutputLocation.prepareFile(URL(fileURLWithPath: path)) }
    }
}
