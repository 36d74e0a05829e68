import ArgumentParser
import Foundation
import MedDataset
import Synchronization

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the common tiled dataset (Zarr v3 + tiles.csv) from a folder of raw files.",
        discussion: """
        RECIPE is a recipe file or the name of one: figshare-brain-tumour, nih-chestxray14, \
        dicom-folder, image-folder, microscopy-slides, sunnybrook, kermany-pneumonia, cvc-colondb, \
        cvc-clinicdb, nifti-volumes, looked up in $MEDSR_MANIFESTS, \
        ./Manifests and the installation's share/medsr/Manifests (make install puts them there). \
        Flags override the recipe's fields.

        Output: OUT/zarr.json (group; the dataset card in attributes.medsr), OUT/{train,val,test}/ \
        {hr,lr_x<s>,mask} arrays [N, C, T, T] sharded (one inner chunk per tile), OUT/tiles.csv \
        (one row per tile: split, index, source, pseudonymised patient, label, frame, level, x, y, \
        size, mask fraction, lo, hi; sunnybrook adds slice, phase, trigger_time, contours; cvc-* add \
        sequence; nifti-volumes adds modality, and frame is the slice index) and \
        OUT/recipe.json. LR tiles: Pillow-compatible bicubic. With several masks (sunnybrook: \
        endocardium, epicardium, myocardium) mask is [N, M, T, T], names in the card.

        Splits are by patient (a keyed hash of the patient id and --seed, stable as patients are \
        added), or official (NIH test list; kermany-pneumonia's train/val/test folders), or \
        --test-fold K (figshare cvind.mat); validation is carved by patient. A patient in two \
        splits stops the build, except kermany-pneumonia's official folders, which share \
        patients (a known leak of that set): kept as they are and reported.

        Unreadable inputs are skipped and listed; exit status 3 when any were skipped, 1 when \
        nothing could be built, 2 for usage errors. An interrupted build (even kill -9) finishes \
        with --resume into the same bytes as an uninterrupted one. --shard i/n builds a disjoint \
        part (e.g. one Slurm array task); `medsr merge` joins the parts.

        Patient ids are stored only as HMAC-SHA-256 pseudonyms. Without --key-file the key derives \
        from the seed, so anyone with the seed can test a guessed id; use a secret key file for \
        datasets that leave your site (every shard of one build needs the same key).

        Examples:
          medsr build figshare-brain-tumour --input brainTumorDataPublic/ --out ds/ --tile 256 --scales 2,4
          medsr build nih-chestxray14 --input ChestXray14/ --out nih/ --shard 3/16
          medsr build dicom-folder --input CT/ --out ct/ --window lung
          medsr build kermany-pneumonia --input chest_xray/ --out cxr/ --resize 256 --split-policy official
          medsr build cvc-clinicdb --input CVC-ClinicDB/ --out cvc/ --sequences clinicdb_sequences.csv
          medsr build nifti-volumes --input Task02_Heart/ --out heart/ --labels atrium=1
        """
    )

    @Argument(help: "Recipe name or file.") var recipe: String
    @Option(help: "Folder of raw files.") var input: String
    @Option(help: "Dataset folder to create.") var out: String
    @Option(parsing: .unconditional, help: "Tile side in pixels (a multiple of every scale).") var tile: Int?
    @Option(parsing: .unconditional, help: "Step between tiles.") var stride: Int?
    @Option(help: "LR scales, comma-separated (e.g. 2,4).") var scales: String?
    @Option(help: "Split percentages train/val/test (e.g. 70/15/15).") var split: String?
    @Option(parsing: .unconditional, help: "Split seed.") var seed: String?
    @Option(name: .customLong("split-policy"), help: "patient, official (NIH lists, Kermany folders) or fold (figshare cvind).") var splitPolicy: String?
    @Option(name: .customLong("test-fold"), parsing: .unconditional, help: "figshare: this cvind fold (1-5) is the test split.") var testFold: Int?
    @Option(parsing: .unconditional, help: "Intensity window: a CT preset (brain, lung, bone, ...) or CENTER/WIDTH in source units (e.g. -600/1500).")
    var window: String?
    @Option(parsing: .unconditional, help: "Tile bit depth: 8 or 16.") var bits: Int?
    @Option(parsing: .unconditional, help: "Tiles drop below this foreground fraction (0-1).") var minForeground: Double?
    @Flag(name: .customLong("centre-on-masks"), help: "Add a tile centred on every mask component.") var centreOnMasks = false
    @Option(help: "Chunk compression: none, zstd or zstd:LEVEL.") var compression: String?
    @Option(help: "Stack each image with its neighbours as channels: phases:R (in time, wrapping) or slices:R (in space, clamped); sunnybrook. phases:1 gives 3 channels.")
    var context: String?
    @Option(parsing: .unconditional, help: "Resize every image to S x S (Pillow's bicubic; masks nearest) before tiling, e.g. kermany-pneumonia --resize 256.")
    var resize: Int?
    @Option(parsing: .unconditional, help: "nifti-volumes: the voxel axis slices are cut across: 0 (i), 1 (j) or 2 (k, the default).")
    var axis: Int?
    @Option(help: "nifti-volumes: masks from label values, NAME=V[+V...] comma-separated, in order (e.g. tumour=1+2+4,oedema=2); replaces the recipe's masks.")
    var labels: String?
    @Option(help: "cvc-colondb, cvc-clinicdb: the frame-to-video table, a CSV of first,last,sequence (frames of one video are one patient).")
    var sequences: String?
    @Option(help: "Build only part i of n (0-based), for medsr merge.") var shard: String?
    @Flag(help: "Finish an interrupted build in OUT.") var resume = false
    @Option(name: .customLong("key-file"), help: "Secret key for patient pseudonyms.") var keyFile: String?
    @Option(name: .customLong("max-mb"), parsing: .unconditional, help: "Refuse images whose pixels exceed this many MiB.") var maxMB = 4096
    @Option(name: .shortAndLong, parsing: .unconditional, help: "Worker threads (default: cores).") var jobs: Int?

    var workers: Int { jobs ?? processorCount }

    func shardPair() -> (Int, Int)? {
        guard let shard else { return nil }
        let p = shard.split(separator: "/").compactMap { Int($0) }
        return p.count == 2 && p[1] >= 1 && p[0] >= 0 && p[0] < p[1] ? (p[0], p[1]) : nil
    }

    func validate() throws {
        if shard != nil && shardPair() == nil { throw ValidationError("--shard takes i/n with 0 ≤ i < n (e.g. 2/16)") }
        if let scales, scales.split(separator: ",").contains(where: { Int($0) == nil }) { throw ValidationError("--scales takes numbers like 2,4") }
        if let split, split.split(separator: "/").compactMap({ Int($0) }).count != 3 { throw ValidationError("--split takes train/val/test percentages like 70/15/15") }
        if workers < 1 || maxMB < 1 { throw ValidationError("--jobs and --max-mb must be positive") }
        do { _ = try resolvedRecipe() } catch let e as RecipeError { throw ValidationError(e.description) }
    }

    func resolvedRecipe() throws -> Recipe {
        var r = try Recipe.load(recipe)
        if let tile { r.tile = tile; if stride == nil { r.stride = tile } }
        if let stride { r.stride = stride }
        if let scales { r.scales = scales.split(separator: ",").compactMap { Int($0) } }
        if let split { r.split.ratios = split.split(separator: "/").compactMap { Int($0) } }
        if let seed { r.split.seed = seed }
        if let splitPolicy {
            guard let policy = Recipe.Split.Policy(rawValue: splitPolicy) else {
                throw ValidationError("--split-policy is patient, official or fold")
            }
            r.split.policy = policy
        }
        if let testFold { r.split.policy = .fold; r.split.testFold = testFold }
        if let window {
            let parts = window.split(separator: "/").compactMap { Double($0) }
            if parts.count == 2 {
                r.intensity = r.intensity.windowed(center: parts[0], width: parts[1])
            } else {
                r.intensity = r.intensity.windowed(preset: window)
            }
        }
        if let bits { r.bits = bits }
        if let minForeground { r.filters.minForeground = minForeground }
        if centreOnMasks { r.filters.centreOnMasks = true }
        if let compression { r.compression = compression }
        if let context {
            guard let c = Recipe.Context(argument: context) else { throw ValidationError("--context takes phases:R or slices:R (e.g. phases:1)") }
            r.context = c
        }
        if let resize {
            r.resize = resize
            if tile == nil { r.tile = min(r.tile, resize); if stride == nil { r.stride = r.tile } }
        }
        if let axis { r.axis = axis }
        if let labels {
            var names = [String](), values = [String: [Int]]()
            for part in labels.split(separator: ",") {
                let pair = part.split(separator: "=", maxSplits: 1)
                let numbers = pair.count == 2 ? pair[1].split(separator: "+").compactMap { Int($0) } : []
                guard pair.count == 2, !pair[0].isEmpty, !numbers.isEmpty, numbers.count == pair[1].split(separator: "+").count else {
                    throw ValidationError("--labels takes NAME=V[+V...] comma-separated (e.g. tumour=1+2+4,oedema=2); '\(part)' is not")
                }
                names.append(String(pair[0]))
                values[String(pair[0])] = numbers
            }
            r.masks = names
            r.labels = values
        }
        if let sequences { r.metadata["sequences"] = URL(fileURLWithPath: sequences).standardizedFileURL.path }
        let problems = r.problems()
        if !problems.isEmpty { throw ValidationError("recipe \(r.name): " + problems.joined(separator: "; ")) }
        return r
    }

    func run() throws {
        let r: Recipe
        do { r = try resolvedRecipe() } catch let e as RecipeError { report("medsr: \(e)"); throw ExitCode(2) }
        var options = BuildOptions(recipe: r, input: URL(fileURLWithPath: input).standardizedFileURL,
                                   output: URL(fileURLWithPath: out).standardizedFileURL)
        options.shard = shardPair()
        options.resume = resume
        options.jobs = workers
        options.maxBytes = maxMB << 20
        if let keyFile {
            // Read as a stream: `--key-file <(openssl rand 32)` is a pipe, whose size stat() reports as 0.
            let key: [UInt8]
            do { key = try Pseudonymizer.readKey(URL(fileURLWithPath: keyFile)) } catch { report("medsr: \(oneLine(error))"); throw ExitCode(2) }
            options.pseudonymKey = key
        }
        let bar = TileProgress()
        let summary: BuildSummary
        do {
            summary = try DatasetBuilder.build(options) { items, tiles, total in bar.advance(items: items, tiles: tiles, total: total) }
        } catch {
            bar.finish()
            report("medsr: \(oneLine(error))")
            throw ExitCode(1)
        }
        bar.finish()
        for (file, reason) in summary.skipped { report("medsr: skipped \(file): \(reason)") }
        guard let split = summary.report else {
            print("part \(options.shard!.0)/\(options.shard!.1): built \(counted(summary.unitsBuilt, "unit")) (\(summary.unitsTotal) in the whole build) into \(options.output.path)")
            print("when every part is done: medsr merge PART_0 … PART_\(options.shard!.1 - 1) --out DATASET")
            for note in summary.notes { print("note: \(note)") }
            return
        }
        print("dataset written to \(options.output.path)")
        for line in split.lines() { print(line) }
        let tiles = split.counts.values.reduce(0) { $0 + $1.tiles }
        if !summary.skipped.isEmpty {
            print("\(counted(summary.skipped.count, "input")) skipped (listed above and in the dataset card)")
        }
        if tiles == 0 {
            // An empty dataset is nothing to train on: say why it is empty, and fail.
            report("medsr: \(options.output.path): no tiles were made: every image is smaller than the \(r.tile)-pixel tile or "
                + "falls below the foreground and contrast filters; try a smaller --tile (and --stride) or a lower --min-foreground")
            throw ExitCode(1)
        }
        if !summary.skipped.isEmpty { throw ExitCode(3) }
    }
}

/// Items and tiles per second on a terminal; quiet when piped.
final class TileProgress: Sendable {
    private let start = Date()
    private let state = Mutex((items: 0, tiles: 0, lastDraw: 0.0))
    private let enabled = isatty(2) == 1

    func advance(items: Int, tiles: Int, total: Int) {
        guard enabled else { return }
        let line: String? = state.withLock { s in
            s.items += items
            s.tiles += tiles
            let now = Date().timeIntervalSince(start)
            guard now - s.lastDraw > 0.2 else { return nil }
            s.lastDraw = now
            // Sources take uneven times: no estimate before the first is done, none once all are
            // (the dataset is then being assembled).
            let eta = s.items >= total ? "assembling the dataset"
                : etaText(s.items > 0 ? Double(total - s.items) * now / Double(s.items) : nil)
            return String(format: "\r%d/%d sources, %d tiles  %.1f tiles/s  %@ ", s.items, total, s.tiles,
                          Double(s.tiles) / max(now, 1e-9), eta)
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
