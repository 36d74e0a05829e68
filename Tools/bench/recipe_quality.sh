#!/usr/bin/env bash
# Does ESPCN x4 beat bicubic on datasets built by every recipe from real public images?
#
# usage: Tools/bench/recipe_quality.sh [MEDSR] [WORK] [STEPS]
#   MEDSR  the medsr binary (default .build/release/medsr)
#   WORK   scratch folder (default /tmp/medsr-recipe-quality)
#   STEPS  training steps (default 3000)
# Environment: PYTHON (with numpy, Pillow, h5py, tifffile, nibabel, pydicom, scikit-image),
# ITK_DATA (Debian insighttoolkit5-examples' Data folder), THREADS (default 1 per run),
# PARALLEL (runs at once, default 2), RECIPES (default: all five).
#
# For each recipe: Tools/bench/recipe_inputs.py lays out real images as the recipe expects,
# `medsr build` makes the dataset (64² tiles, stride 32, x4), `medsr train` trains ESPCN x4 for
# STEPS steps (patch 16, batch 16, validation on val), and `medsr evaluate --model` scores the
# model and bicubic on the held-out test tiles. Prints one line per recipe: tiles, model PSNR,
# bicubic PSNR, difference (mean over test tiles, data range of the tiles), and the difference
# on the validation tiles at the last validation.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
medsr=${1:-$root/.build/release/medsr}
work=${2:-/tmp/medsr-recipe-quality}
steps=${3:-3000}
python=${PYTHON:-python3}
threads=${THREADS:-1}
parallel=${PARALLEL:-2}
recipes=${RECIPES:-"figshare-brain-tumour nih-chestxray14 dicom-folder microscopy-slides image-folder"}
export MEDSR_MANIFESTS=$root/Manifests

mkdir -p "$work"
"$python" "$here/recipe_inputs.py" "$work/inputs" || exit 1

one() {
    local r=$1 ds=$work/ds-$1 run=$work/run-$1
    rm -rf "$ds" "$run"
    "$medsr" build "$r" --input "$work/inputs/$r" --out "$ds" --tile 64 --stride 32 --scales 4 --seed quality \
        > "$work/build-$r.txt" 2>&1
    # Exit 3: some inputs were skipped (e.g. pydicom's non-image objects); the dataset is complete.
    status=$?; if [ $status -ne 0 ] && [ $status -ne 3 ]; then echo "$r: build failed (see $work/build-$r.txt)"; return; fi
    "$medsr" train --dataset "$ds" --model espcn --scale 4 --patch 16 --batch 16 --steps "$steps" \
        --validate-every $((steps / 6)) --threads "$threads" --seed 7 --out "$run" > "$work/train-$r.txt" 2>&1 \
        || { echo "$r: train failed (see $work/train-$r.txt)"; return; }
    "$medsr" evaluate --dataset "$ds" --split test --scale 4 --model "$run" --csv "$work/eval-$r.csv" \
        > "$work/eval-$r.txt" 2>&1 || { echo "$r: evaluate failed (see $work/eval-$r.txt)"; return; }
    "$python" - "$r" "$work/eval-$r.csv" "$work/train-$r.txt" <<'EOF'
import csv, math, sys
r, path, train = sys.argv[1:4]
tiles = {}
for row in csv.DictReader(open(path)):
    tiles.setdefault(row["name"], {})[row["method"]] = float(row["psnr"]) if row["psnr"] else math.nan
# Paired: tiles where both PSNRs are finite (a flat tile that bicubic reproduces exactly has PSNR inf).
pairs = [(t["model"], t["bicubic"]) for t in tiles.values() if math.isfinite(t["model"]) and math.isfinite(t["bicubic"])]
model = {"n": len(pairs), "mean": sum(p[0] for p in pairs) / len(pairs)}
bicubic = {"mean": sum(p[1] for p in pairs) / len(pairs)}
log = open(train).read()
val = [l for l in log.splitlines() if "validation:" in l]
gain = val[-1].split(";")[-1].strip() if val and "bicubic" in val[-1] else "?"
print(f"{r:24s} {model['n']:5d} test tiles  ESPCN {model['mean']:6.2f} dB  bicubic {bicubic['mean']:6.2f} dB  "
      f"{model['mean'] - bicubic['mean']:+5.2f} dB   (validation: {gain})" + ("  train warned: behind bicubic" if "behind bicubic" in log else ""))
EOF
}

echo "ESPCN x4, $steps steps, patch 16, batch 16; PSNR on the test split (held-out patients)"
running=0
for r in $recipes; do
    one "$r" > "$work/line-$r.txt" &
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then wait -n; running=$((running - 1)); fi
done
wait
for r in $recipes; do cat "$work/line-$r.txt"; done
