#!/usr/bin/env bash
# The CLI contract, on the shipped fixtures: exit statuses, one-line errors naming the file,
# mirrored trees, atomic outputs, and no patient identifiers anywhere in what medsr writes.
set -uo pipefail
medsr=$(realpath "$1")
fx=$(cd "$(dirname "$0")/../Fixtures" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() {  # name, condition (evaluated)
  if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}

# A tree with good files of every format and one broken file.
mkdir -p "$work/in/dicom" "$work/in/mat" "$work/in/bad"
cp "$fx"/dicom/series/*.dcm "$work/in/dicom/"
cp "$fx"/mat/figshare/1.mat "$fx"/mat/figshare/5.mat "$work/in/mat/"
cp "$fx"/tiff/strips_lzw_gray.tif "$fx"/png/types/rgb16.png "$work/in/"
head -c 300 "$fx"/dicom/series/a.dcm > "$work/in/bad/truncated.dcm"

"$medsr" convert "$work/in" "$work/out" --format png > "$work/stdout" 2> "$work/stderr"; status=$?
check "some inputs failed → exit 3 (got $status)" '[ $status -eq 3 ]'
check "one error line names the bad file" '[ "$(grep -c "truncated.dcm" "$work/stderr")" -eq 1 ]'
check "the tree is mirrored" '[ -f "$work/out/dicom/a.png" ] && [ -f "$work/out/mat/5.png" ] && [ -f "$work/out/rgb16.png" ]'
check "nothing written for the bad file" '[ ! -e "$work/out/bad/truncated.png" ]'
check "no temporary files left" '[ -z "$(find "$work/out" -name "*.part")" ]'

"$medsr" convert "$work/in/dicom" "$work/npy" --format npy > /dev/null 2>&1; status=$?
check "all converted → exit 0 (got $status)" '[ $status -eq 0 ]'
"$medsr" convert "$work/in/bad" "$work/none" > /dev/null 2>&1; status=$?
check "nothing converted → exit 1 (got $status)" '[ $status -eq 1 ]'
"$medsr" convert "$work/in" "$work/x" --values nonsense > /dev/null 2> "$work/usage"; status=$?
check "usage error → exit 2 (got $status)" '[ $status -eq 2 ]'
"$medsr" convert "$work/in/bad/truncated.dcm" "$work/t.png" 2> "$work/one"; status=$?
check "a bad single file → exit 1 and one line" '[ $status -eq 1 ] && [ "$(wc -l < "$work/one")" -eq 1 ]'

# Masks and values.
"$medsr" convert "$fx/mat/figshare/2.mat" "$work/mask.npy" --mask tumorMask > /dev/null
check "figshare mask converts" '[ -f "$work/mask.npy" ]'
"$medsr" convert "$fx/dicom/conformance/rtdose.dcm" "$work/dose.npy" --frame all --values stored > /dev/null
check "multi-frame npy keeps a frame axis" 'python3 -c "import sys;h=open(sys.argv[1],\"rb\").read(128);sys.exit(0 if b\"(15, 10, 10)\" in h else 1)" "$work/dose.npy"'
"$medsr" convert "$fx/tiff/slide_jpeg_subifd.tif" "$work/region.png" --level 1 --region 100,100,200,150 > /dev/null
check "slide region converts" '[ -f "$work/region.png" ]'
"$medsr" convert "$fx/png/nih/images/00000002_000.png" "$work/gray.png" --gray > /dev/null
check "RGBA radiograph forced to one channel" '[ -f "$work/gray.png" ]'

# NIfTI volumes: inspect reads only the header; convert writes one PNG per slice across --axis.
"$medsr" inspect "$fx/nifti/example_nifti2.nii.gz" > "$work/nii.txt" 2>&1
check "inspect a NIfTI-2 .nii.gz: dimensions, affine, orientation, volumes" 'grep -q "dimensions: 32 × 20 × 12 × 2" "$work/nii.txt" && grep -q "orientation: LAS" "$work/nii.txt" && grep -q "volumes: 2" "$work/nii.txt"'
"$medsr" convert "$fx/nifti/functional.nii" "$work/nii/" --format png --axis 1 --volume 19 > "$work/nii.out"; status=$?
check "a 4-D NIfTI volume → 21 PNG slices across j (got $status)" '[ $status -eq 0 ] && [ "$(ls "$work/nii" | wc -l)" -eq 21 ] && [ -f "$work/nii/functional_f0020.png" ]'
"$medsr" convert "$fx/nifti/functional.nii" "$work/nii20.png" --volume 20 > /dev/null 2> "$work/nii.err"; status=$?
check "a volume past the last → exit 1, one line (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/nii.err")" -eq 1 ] && grep -q "volume 20 does not exist" "$work/nii.err"'
"$medsr" convert "$fx/nifti/functional.nii" "$work/nii3.png" --axis 3 > /dev/null 2>&1; status=$?
check "--axis 3 is a usage error (got $status)" '[ $status -eq 2 ]'
# A DICOM series → one NIfTI volume and a sidecar; a series with a gap is refused, nothing written.
mkdir -p "$work/run"; cp "$fx"/dicom/series/{a,c,e}.dcm "$work/run/"
"$medsr" convert "$work/run" "$work/vol/run.nii.gz" > /dev/null 2>&1; status=$?
check "series → .nii.gz + .json without patient data (got $status)" '[ $status -eq 0 ] && [ -s "$work/vol/run.nii.gz" ] && grep -q "\"Modality\" : \"MR\"" "$work/vol/run.json" && ! grep -qi "canary" "$work/vol/run.json"'
"$medsr" convert "$fx/dicom/series" "$work/vol/gap.nii.gz" > /dev/null 2> "$work/gap.err"; status=$?
check "a series with a gap → exit 1, one line, nothing written (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/gap.err")" -eq 1 ] && grep -q "gap" "$work/gap.err" && [ ! -e "$work/vol/gap.nii.gz" ] && [ -z "$(ls -A "$work/vol" | grep -v "^run\.")" ]'

# Patient identifiers: the fixtures carry PHI-CANARY ids and Canary^Phileas; none may leave.
"$medsr" inspect "$fx/dicom/series" > "$work/inspect.txt" 2>&1
"$medsr" inspect "$fx/dicom/series/a.dcm" --json >> "$work/inspect.txt" 2>&1
"$medsr" inspect "$fx/mat/figshare/1.mat" --json >> "$work/inspect.txt" 2>&1
check "no patient identifiers in outputs, logs or errors" '! grep -rqaE "PHI-CANARY|Canary" "$work/out" "$work/npy" "$work/stderr" "$work/inspect.txt"'
"$medsr" inspect "$fx/dicom/series/a.dcm" --show-phi > "$work/phi.txt"
check "--show-phi shows them" 'grep -q "PHI-CANARY-7Q2X" "$work/phi.txt"'
# Datasets: build, inspect, export; refusals; the split report; no identifiers in any byte.
export MEDSR_MANIFESTS="$fx/../Manifests"
"$medsr" build figshare-brain-tumour --input "$fx/mat/figshare" --out "$work/ds" --tile 128 > "$work/build.txt" 2> "$work/build.err"; status=$?
check "figshare build → exit 0 (got $status)" '[ $status -eq 0 ]'
check "the build prints its split report" 'grep -q "^train " "$work/build.txt" && grep -q "no patient is in two splits" "$work/build.txt"'
check "the dataset is a Zarr group with a manifest" '[ -f "$work/ds/zarr.json" ] && [ -f "$work/ds/tiles.csv" ] && [ -f "$work/ds/train/hr/zarr.json" ]'
"$medsr" build figshare-brain-tumour --input "$fx/mat/figshare" --out "$work/ds" > /dev/null 2> "$work/again"; status=$?
check "an existing dataset is never overwritten → exit 1, one line" '[ $status -eq 1 ] && [ "$(wc -l < "$work/again")" -eq 1 ]'
"$medsr" build figshare-brain-tumour --input "$fx/mat/figshare" --out "$work/ds2" --tile 90 > /dev/null 2>&1; status=$?
check "a tile that is not a multiple of the scales → exit 2 (got $status)" '[ $status -eq 2 ]'
"$medsr" inspect "$work/ds" > "$work/card.txt"
check "inspect shows the card and split report" 'grep -q "figshare-brain-tumour" "$work/card.txt" && grep -q "^val " "$work/card.txt"'
"$medsr" export "$work/ds" --split train --format png --out "$work/exp" > /dev/null
check "export writes tiles as PNG" '[ -f "$work/exp/train/hr/000000.png" ] && [ -f "$work/exp/train/lr_x4/000000.png" ] && [ -f "$work/exp/train/mask/000000.png" ]'
"$medsr" build nih-chestxray14 --input "$fx/png/nih" --out "$work/nih" --tile 256 > "$work/nih.txt" 2> "$work/nih.err"; status=$?
check "NIH build with a broken and an unlisted file → exit 3 (got $status)" '[ $status -eq 3 ]'
check "each skipped input is one line naming it" 'grep -q "00000007_000.png" "$work/nih.err" && grep -q "00009999_000.png" "$work/nih.err" && [ "$(wc -l < "$work/nih.err")" -eq 2 ]'
"$medsr" build dicom-folder --input "$fx/dicom/series" --out "$work/dcm" --tile 32 > /dev/null 2>&1
check "no patient identifiers in any dataset byte" '! grep -rqaE "PHI-CANARY|Canary|Phileas" "$work/ds" "$work/dcm" "$work/build.txt" "$work/card.txt"'

# Evaluation and audit on the figshare dataset, and plain-file pairs.
"$medsr" evaluate --dataset "$work/ds" --split train --scale 4 --csv "$work/scores.csv" --json "$work/summary.json" --report "$work/report.html" > "$work/eval.txt" 2>&1; status=$?
check "evaluate → exit 0 (got $status)" '[ $status -eq 0 ]'
check "the CSV has the promised columns" '[ "$(head -1 "$work/scores.csv")" = "name,method,psnr,ssim,mse,ssim_mask,ssim_background" ]'
tiles=$(grep -c "^train," "$work/ds/tiles.csv")
check "one CSV row per tile and method" '[ "$(($(wc -l < "$work/scores.csv") - 1))" -eq $((tiles * 2)) ]'
check "the JSON summary has bootstrap intervals" 'grep -q "ci95" "$work/summary.json" && grep -q "by_label" "$work/summary.json"'
check "the report is self-contained" '[ -s "$work/report.html" ] && ! grep -qE "(src|href)=\"https?:" "$work/report.html" && grep -q "data:image/png;base64" "$work/report.html"'
"$medsr" audit --dataset "$work/ds" --split train --scale 4 > "$work/audit.txt" 2>&1; status=$?
check "audit → exit 0 and lists the worst tiles (got $status)" '[ $status -eq 0 ] && grep -q "worst tiles" "$work/audit.txt"'
"$medsr" audit --dataset "$work/nih" --split train --scale 4 > /dev/null 2>&1; status=$?
check "audit of a split without usable masks still answers (got $status)" '[ $status -eq 0 ]'
"$medsr" evaluate --pred "$work/exp/train/hr" --ref "$work/exp/train/hr" --csv "$work/same.csv" > "$work/same.txt" 2>&1; status=$?
check "identical pairs: exit 0, infinite PSNR, SSIM 1" '[ $status -eq 0 ] && grep -q ",inf,1.000000,0.000000" "$work/same.csv"'
mkdir -p "$work/p16" "$work/r16"; cp "$fx/png/types/gray16.png" "$work/p16/a.png"; cp "$fx/png/types/gray16.png" "$work/r16/a.png"
"$medsr" evaluate --pred "$work/p16" --ref "$work/r16" > /dev/null 2> "$work/range.err"; status=$?
check "16-bit pairs without --data-range are refused, not guessed (got $status)" '[ $status -eq 1 ] && grep -q "data-range" "$work/range.err"'

# Training, inference with the trained model, and the model in evaluate.
"$medsr" train --dataset "$work/ds" --model espcn --scale 4 --steps 6 --batch 4 --patch 8 --validate-every 3 --out "$work/run" > "$work/train.txt" 2>&1; status=$?
check "train → exit 0 with model, checkpoint, metrics and report (got $status)" '[ $status -eq 0 ] && [ -s "$work/run/model.safetensors" ] && [ -s "$work/run/checkpoint.safetensors" ] && [ "$(wc -l < "$work/run/metrics.csv")" -eq 7 ] && [ -s "$work/run/report.html" ]'
"$medsr" train --dataset "$work/ds" --model edsr --out "$work/run2" > /dev/null 2> "$work/edsr.err"; status=$?
check "an unknown model is refused as a usage error naming the models (got $status)" '[ $status -eq 2 ] && grep -q "^Error: --model is espcn, srresnet, srgan, swift-srgan$" "$work/edsr.err"'
"$medsr" train --dataset "$work/ds" --model swift-srgan --scale 4 --steps 2 --batch 2 --patch 4 --validate-every 2 --val-tiles 1 \
  --perceptual "$fx/nn/perceptual.safetensors" --out "$work/run3" > "$work/gan.txt" 2>&1; status=$?
check "swift-srgan trains (generator + discriminator + perceptual loss) and writes its model (got $status)" '[ $status -eq 0 ] && [ -s "$work/run3/model.safetensors" ] && grep -q "Swift-SRGAN" "$work/run3/report.html" && grep -q "perceptual" "$work/run3/report.html" && grep -q "d_loss" "$work/run3/metrics.csv"'
"$medsr" upscale --model "$work/run" "$fx/dicom/conformance/CT_small.dcm" "$work/up/ct_x4.dcm" > /dev/null 2>&1; status=$?
"$medsr" inspect "$work/up/ct_x4.dcm" > "$work/ct_x4.txt" 2>&1
check "upscale DICOM → derived DICOM: 512², spacing / 4, no patient name (got $status)" '[ $status -eq 0 ] && grep -q "512 × 512" "$work/ct_x4.txt" && grep -q "0.1654 × 0.1654" "$work/ct_x4.txt" && ! grep -qa "CompressedSamples" "$work/up/ct_x4.dcm" && ! grep -qa "JFK IMAGING" "$work/up/ct_x4.dcm"'
"$medsr" upscale --model "$work/run" "$fx/dicom/conformance/CT_small.dcm" "$work/up/ct_keep.dcm" --keep-identifiers > /dev/null 2>&1
check "--keep-identifiers keeps them" 'grep -qa "CompressedSamples" "$work/up/ct_keep.dcm"'
"$medsr" upscale --model "$work/run" "$fx/png/types/gray16.png" "$work/up/png.dcm" > /dev/null 2> "$work/pngdcm.err"; status=$?
check "DICOM output from a PNG is refused with one line (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/pngdcm.err")" -eq 1 ] && [ ! -e "$work/up/png.dcm" ]'
"$medsr" upscale --model "$work/run" "$fx/mat/figshare/2.mat" "$work/up/2_x4.png" > /dev/null 2>&1; status=$?
check "upscale a figshare .mat with the model → 1024² PNG (got $status)" '[ $status -eq 0 ] && python3 -c "import struct,sys;d=open(sys.argv[1],\"rb\").read(24);sys.exit(0 if struct.unpack(\">II\",d[16:24])==(1024,1024) else 1)" "$work/up/2_x4.png"'
"$medsr" evaluate --dataset "$work/ds" --split train --scale 4 --model "$work/run" --csv "$work/model.csv" > /dev/null 2>&1; status=$?
check "evaluate --model adds a model row per tile (got $status)" '[ $status -eq 0 ] && [ "$(grep -c ",model," "$work/model.csv")" -eq "$tiles" ]'

# Registration: the ITK pair, and a field that is not in the image.
"$medsr" register "$fx/registration/BrainProtonDensitySliceShifted13x17y.png" "$fx/registration/BrainProtonDensitySlice.png" --scale 1 --json --overlay "$work/overlay.png" > "$work/reg.json"; status=$?
check "register finds the ITK slice at (33, 37) and writes an overlay (got $status)" '[ $status -eq 0 ] && python3 -c "import json,sys;r=json.load(open(sys.argv[1]));sys.exit(0 if r[\"found\"] and abs(r[\"x\"]-33)<=0.5 and abs(r[\"y\"]-37)<=0.5 else 1)" "$work/reg.json" && [ -s "$work/overlay.png" ]'
"$medsr" register "$fx/tiff/slide_jpeg_subifd.tif" "$fx/registration/BrainProtonDensitySlice.png" --scale 1 --json > "$work/notfound.json"; status=$?
check "a field from another image is not found → exit 1 (got $status)" '[ $status -eq 1 ] && grep -q "\"found\": false" "$work/notfound.json"'

# Registered pairs: three fields of fixtures/pairs are used, one from another image and one
# truncated file are listed and skipped (exit 3); LR tiles are low.png's own pixels.
"$medsr" pairs --low "$fx/pairs/low.png" --high "$fx/pairs/fields" --scale-range 3.6:4.4 --factor 4 --tile 64 \
  --out "$work/pairs" --overlay "$work/pairs.png" > "$work/pairs.out" 2> "$work/pairs.err"; status=$?
check "pairs registers 3 of 5 fields, lists 2 skipped, exit 3 (got $status)" '[ $status -eq 3 ] && grep -q "^3 of 5 field" "$work/pairs.out" && [ "$(grep -c "skipped$" "$work/pairs.err")" -eq 2 ] && [ "$(wc -l < "$work/pairs.err")" -eq 2 ] && [ -s "$work/pairs.png" ]'
check "pairs dataset is complete: 48 tiles in tiles.csv and a root zarr.json" '[ "$(tail -n +2 "$work/pairs/tiles.csv" | wc -l)" -eq 48 ] && [ -s "$work/pairs/zarr.json" ] && "$medsr" inspect "$work/pairs" > /dev/null'
"$medsr" pairs --low "$fx/pairs/low.png" --high "$fx/pairs/fields" --scale 4 --out "$work/pairs" > /dev/null 2> "$work/pairs2.err"; status=$?
check "pairs refuses an output folder that is not empty (got $status)" '[ $status -eq 1 ] && grep -q "not empty" "$work/pairs2.err"'

for cmd in "" inspect convert build merge export evaluate audit train upscale register pairs; do
  "$medsr" $cmd --help > "$work/help" 2>&1
  check "--help for '${cmd:-medsr}'" '[ -s "$work/help" ]'
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
