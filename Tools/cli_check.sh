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

# JPEG and BMP: found by content, EXIF orientation applied, CMYK and RLE refused in one line.
mkdir -p "$work/jb/a" "$work/jb/b"
cp "$fx"/jpeg/gray.jpg "$fx"/jpeg/exif_6.jpg "$fx"/bmp/rgb24.bmp "$work/jb/a/"
cp "$fx"/jpeg/color_444.jpg "$work/jb/b/noextension"; cp "$fx"/bmp/pal4.bmp "$work/jb/b/"
"$medsr" inspect "$fx/jpeg/exif_6.jpg" > "$work/exif.txt"
check "inspect says the EXIF orientation is applied" 'grep -q "EXIF orientation 6 applied" "$work/exif.txt" && grep -q "size: 37 × 45" "$work/exif.txt"'
"$medsr" convert "$work/jb" "$work/jbout" --format png > /dev/null 2>&1; status=$?
check "a tree of JPEG and BMP (one without extension) converts (got $status)" '[ $status -eq 0 ] && [ -f "$work/jbout/a/exif_6.png" ] && [ -f "$work/jbout/a/rgb24.png" ] && [ -f "$work/jbout/b/noextension.png" ]'
for bad in jpeg/cmyk.jpg jpeg/truncated.jpg bmp/rle8.bmp bmp/truncated.bmp; do
  "$medsr" convert "$fx/$bad" "$work/bad.png" 2> "$work/bad.err"; status=$?
  check "$bad → exit 1, one line naming it (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/bad.err")" -eq 1 ] && grep -q "$(basename $bad)" "$work/bad.err" && [ ! -e "$work/bad.png" ]'
done
MEDSR_MANIFESTS="$fx/../Manifests" "$medsr" build image-folder --input "$work/jb" --out "$work/jbds" --tile 16 > /dev/null 2>&1; status=$?
check "image-folder builds from JPEG and BMP images (got $status)" '[ $status -eq 0 ] && grep -q "a/exif_6.jpg" "$work/jbds/tiles.csv" && grep -q "b/pal4.bmp" "$work/jbds/tiles.csv"'
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
mkdir -p "$work/mrrun"; cp "$fx"/dicom/series/{a,c,e}.dcm "$work/mrrun/"
"$medsr" convert "$work/mrrun" "$work/vol/run.nii.gz" > /dev/null 2>&1; status=$?
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
check "an unknown model is refused as a usage error naming the models (got $status)" '[ $status -eq 2 ] && grep -q "^Error: --model is espcn, srresnet, srgan, swift-srgan, unet, pix2pix, dae, dncnn$" "$work/edsr.err"'
"$medsr" train --dataset "$work/ds" --model swift-srgan --scale 4 --steps 2 --batch 2 --patch 4 --validate-every 2 --val-tiles 1 \
  --perceptual "$fx/nn/perceptual.safetensors" --out "$work/run3" > "$work/gan.txt" 2>&1; status=$?
check "swift-srgan trains (generator + discriminator + perceptual loss) and writes its model (got $status)" '[ $status -eq 0 ] && [ -s "$work/run3/model.safetensors" ] && grep -q "Swift-SRGAN" "$work/run3/report.html" && grep -q "perceptual" "$work/run3/report.html" && grep -q "d_loss" "$work/run3/metrics.csv"'
# Classification: train on the tiles' labels, resume-ready files, classify exported tiles.
"$medsr" train --task classify --model cnn-small --dataset "$work/ds" --steps 4 --batch 4 --validate-every 2 --class-weights balanced --out "$work/cls" > "$work/cls.txt" 2>&1; status=$?
check "train --task classify → exit 0, model records its classes, validation AUC in metrics.csv (got $status)" '[ $status -eq 0 ] && [ -s "$work/cls/model.safetensors" ] && grep -qa "class_names" "$work/cls/model.safetensors" && head -1 "$work/cls/metrics.csv" | grep -q "val_auc"'
"$medsr" classify --model "$work/cls" "$work/exp/train/hr/000000.png" --csv "$work/cls.csv" > "$work/classify.txt" 2>&1; status=$?
check "classify prints probabilities and writes a CSV with one row per image (got $status)" '[ $status -eq 0 ] && grep -q " → " "$work/classify.txt" && [ "$(wc -l < "$work/cls.csv")" -eq 2 ]'
head -c 300 "$work/exp/train/hr/000000.png" > "$work/cut_tile.png"
"$medsr" classify --model "$work/cls" "$work/exp/train/hr/000000.png" "$work/cut_tile.png" > "$work/classify2.txt" 2> "$work/classify2.err"; status=$?
check "classify: a broken image among good ones is one line and exit 3, the rest classified (got $status)" '[ $status -eq 3 ] && [ "$(wc -l < "$work/classify2.err")" -eq 1 ] && grep -q "cut_tile.png" "$work/classify2.err" && grep -q " → " "$work/classify2.txt"'
"$medsr" downstream --classifier "$work/cls" --dataset "$work/ds" --split test --scale 4 > /dev/null 2> "$work/dsempty.err"; status=$?
check "downstream on an empty split: exit 1 and one line, no table of NaNs (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/dsempty.err")" -eq 1 ] && grep -q "has no tiles" "$work/dsempty.err"'
"$medsr" downstream --classifier "$work/cls" --model "$work/run" --dataset "$work/ds" --split train --scale 4 --resamples 100 --csv "$work/downstream.csv" --json "$work/downstream.json" --report "$work/downstream.html" > "$work/downstream.txt" 2>&1; status=$?
check "downstream: HR, bicubic, sharpened bicubic and the SR run, the sentence first in the report (got $status)" '[ $status -eq 0 ] && [ "$(wc -l < "$work/downstream.csv")" -eq 5 ] && grep -q "recovers" "$work/downstream.txt" && grep -q "recovers" "$work/downstream.html" && grep -q "delta_auc_from_bicubic" "$work/downstream.json"'
"$medsr" evaluate --task classify --model "$work/cls" --dataset "$work/ds" --split train --json "$work/cls.json" --report "$work/cls.html" > "$work/clseval.txt" 2>&1; status=$?
check "evaluate --task classify: macro AUC with a patient interval, JSON with a confusion matrix, report with ROC curves (got $status)" '[ $status -eq 0 ] && grep -q "macro ROC AUC" "$work/clseval.txt" && grep -q "confusion_matrix" "$work/cls.json" && grep -q "<svg" "$work/cls.html"'
"$medsr" train --task classify --model espcn-x --dataset "$work/ds" --out "$work/cls2" > /dev/null 2> "$work/cls2.err"; status=$?
check "train --task classify refuses a non-classifier as a usage error (got $status)" '[ $status -eq 2 ] && grep -q "resnet18, resnet34, densenet121, cnn-small" "$work/cls2.err"'
# Restoration: train on degraded HR tiles, restore a file, evaluate with the baselines.
"$medsr" train --task restore --dataset "$work/ds" --model dncnn --depth 4 --width 8 --degradation noise:gaussian:15 --steps 4 --batch 2 --patch 16 \
  --validate-every 2 --val-tiles 2 --out "$work/rrun" > "$work/rtrain.txt" 2>&1; status=$?
check "train --task restore → model recording its degradation, metrics with the degraded baseline (got $status)" '[ $status -eq 0 ] && grep -qa "noise:gaussian:15" "$work/rrun/model.safetensors" && head -1 "$work/rrun/metrics.csv" | grep -q "degraded_psnr" && grep -q "DnCNN" "$work/rrun/report.html"'
"$medsr" train --task restore --dataset "$work/ds" --model dncnn --out "$work/rrun2" > /dev/null 2> "$work/rnodeg.err"; status=$?
check "--task restore without --degradation is a usage error (got $status)" '[ $status -eq 2 ] && grep -q "degradation" "$work/rnodeg.err"'
"$medsr" train --task restore --dataset "$work/ds" --model dncnn --degradation noise:purple:3 --out "$work/rrun3" > /dev/null 2> "$work/rbad.err"; status=$?
check "a bad degradation spec is a usage error listing the forms (got $status)" '[ $status -eq 2 ] && grep -q "blur:gaussian:SIGMA" "$work/rbad.err"'
"$medsr" restore --model "$work/rrun" "$fx/dicom/conformance/CT_small.dcm" "$work/up/ct_restored.dcm" > "$work/restore.txt" 2>&1; status=$?
"$medsr" inspect "$work/up/ct_restored.dcm" > "$work/ct_restored.txt" 2>&1
check "restore DICOM → derived DICOM at the same size, no patient name (got $status)" '[ $status -eq 0 ] && grep -q "128 × 128" "$work/ct_restored.txt" && ! grep -qa "CompressedSamples" "$work/up/ct_restored.dcm"'
"$medsr" upscale --model "$work/rrun" "$fx/dicom/conformance/CT_small.dcm" "$work/up/wrong.png" > /dev/null 2> "$work/wrongtask.err"; status=$?
check "upscale with a restoration model says to use restore (got $status)" '[ $status -eq 2 ] && grep -q "medsr restore" "$work/wrongtask.err" && [ ! -e "$work/up/wrong.png" ]'
"$medsr" evaluate --dataset "$work/ds" --split train --task restore --model "$work/rrun" --limit 2 --csv "$work/restore.csv" > "$work/revaluate.txt" 2>&1; status=$?
check "evaluate --task restore scores degraded, gaussian, median, nlm and model (got $status)" '[ $status -eq 0 ] && [ "$(cut -d, -f2 "$work/restore.csv" | sort -u | tr "\n" " ")" = "degraded gaussian median method model nlm " ]'
"$medsr" upscale --model "$work/run" "$fx/dicom/conformance/CT_small.dcm" "$work/up/ct_x4.dcm" > /dev/null 2>&1; status=$?
"$medsr" inspect "$work/up/ct_x4.dcm" > "$work/ct_x4.txt" 2>&1
check "upscale DICOM → derived DICOM: 512², spacing / 4, no patient name (got $status)" '[ $status -eq 0 ] && grep -q "512 × 512" "$work/ct_x4.txt" && grep -q "0.1654 × 0.1654" "$work/ct_x4.txt" && ! grep -qa "CompressedSamples" "$work/up/ct_x4.dcm" && ! grep -qa "JFK IMAGING" "$work/up/ct_x4.dcm"'
"$medsr" upscale --model "$work/run" "$fx/dicom/conformance/CT_small.dcm" "$work/up/ct_keep.dcm" --keep-identifiers > /dev/null 2>&1
check "--keep-identifiers keeps them" 'grep -qa "CompressedSamples" "$work/up/ct_keep.dcm"'
# De-identification (PS3.15 Annex E) on a fixture full of synthetic PHI, with two options.
"$medsr" upscale --model "$work/run" "$fx/dicom/deid/phi_ct.dcm" "$work/up/phi.dcm" --deid-option modified-dates --deid-option patient-characteristics > /dev/null 2>&1; status=$?
check "upscale de-identifies: no name, date, institution or private value left; options coded (got $status)" '[ $status -eq 0 ] && ! grep -qaE "SIMPSON|HIBBARD|20230101|SPRINGFIELD|Evergreen|SyngoWorkflow|00007041776" "$work/up/phi.dcm" && grep -qa "113100" "$work/up/phi.dcm" && grep -qa "113107" "$work/up/phi.dcm" && grep -qa "113108" "$work/up/phi.dcm"'
"$medsr" upscale --model "$work/run" "$fx/dicom/deid/phi_ct.dcm" "$work/up/bad.dcm" --deid-option full-dates --deid-option modified-dates > /dev/null 2> "$work/deid1.err"; status=$?
check "full-dates with modified-dates is a usage error (got $status)" '[ $status -ne 0 ] && [ $status -ne 1 ] && grep -q "exclude each other" "$work/deid1.err" && [ ! -e "$work/up/bad.dcm" ]'
"$medsr" upscale --model "$work/run" "$fx/dicom/deid/phi_ct.dcm" "$work/up/bad.dcm" --deid-option clean-graphics > /dev/null 2> "$work/deid2.err"; status=$?
check "an option MedSR does not implement is refused (got $status)" '[ $status -ne 0 ] && grep -q "clean-graphics" "$work/deid2.err" && [ ! -e "$work/up/bad.dcm" ]'
printf short > "$work/short.key"
"$medsr" upscale --model "$work/run" "$fx/dicom/deid/phi_ct.dcm" "$work/up/bad.dcm" --key-file "$work/short.key" > /dev/null 2> "$work/deid3.err"; status=$?
check "a key file under 16 bytes is refused with one line (got $status)" '[ $status -eq 2 ] && [ "$(wc -l < "$work/deid3.err")" -eq 1 ] && [ ! -e "$work/up/bad.dcm" ]'
"$medsr" upscale --model "$work/run" "$fx/png/types/gray16.png" "$work/up/png.dcm" > /dev/null 2> "$work/pngdcm.err"; status=$?
check "DICOM output from a PNG is refused with one line (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/pngdcm.err")" -eq 1 ] && [ ! -e "$work/up/png.dcm" ]'
"$medsr" upscale --model "$work/run" "$fx/mat/figshare/2.mat" "$work/up/2_x4.png" > /dev/null 2>&1; status=$?
check "upscale a figshare .mat with the model → 1024² PNG (got $status)" '[ $status -eq 0 ] && python3 -c "import struct,sys;d=open(sys.argv[1],\"rb\").read(24);sys.exit(0 if struct.unpack(\">II\",d[16:24])==(1024,1024) else 1)" "$work/up/2_x4.png"'
# upscale writes the input's own values: the exported 8-bit LR tile with the narrowest grey range (the model's dataset
# mapping stretches its percentile window), upscaled, scores against its HR tile as bicubic does; --values mapped does not.
mkdir -p "$work/upv" "$work/upm" "$work/hrv" "$work/lrnpy"
for f in "$work"/exp/train/lr_x4/*.png; do "$medsr" convert "$f" "$work/lrnpy/$(basename "$f" .png).npy" > /dev/null 2>&1; done
t=$(python3 -c "
import glob, os, sys
def spread(p):
    d = open(p, 'rb').read(); n = 10 + int.from_bytes(d[8:10], 'little'); v = sorted(d[n:])
    return v[int(0.995 * (len(v) - 1))] - v[int(0.005 * (len(v) - 1))]
print(min((spread(p), os.path.basename(p)[:-4]) for p in glob.glob(sys.argv[1] + '/*.npy'))[1])" "$work/lrnpy")
cp "$work/exp/train/hr/$t.png" "$work/hrv/"
"$medsr" upscale --model "$work/run" "$work/exp/train/lr_x4/$t.png" "$work/upv/$t.png" > "$work/upv.txt" 2>&1
"$medsr" upscale --model "$work/run" "$work/exp/train/lr_x4/$t.png" "$work/upm/$t.png" --values mapped > /dev/null 2>&1
"$medsr" evaluate --pred "$work/upv" --ref "$work/hrv" --data-range 255 --csv "$work/upv.csv" > /dev/null 2>&1
"$medsr" evaluate --pred "$work/upm" --ref "$work/hrv" --data-range 255 --csv "$work/upm.csv" > /dev/null 2>&1
up=$(sed -n 2p "$work/upv.csv" | cut -d, -f2); mapped=$(sed -n 2p "$work/upm.csv" | cut -d, -f2)
bic=$(grep "^train/$t,bicubic," "$work/scores.csv" | cut -d, -f3)
check "upscale writes the input's values: tile $t PSNR vs HR $up dB, bicubic $bic dB (mapped values: $mapped dB)" 'python3 -c "import sys; u, b, m = map(float, sys.argv[1:]); sys.exit(0 if u > b - 1 and m < b - 3 else 1)" "$up" "$bic" "$mapped" && grep -q "written in the input.s values (uint8)" "$work/upv.txt"'
"$medsr" evaluate --dataset "$work/ds" --split train --scale 4 --model "$work/run" --csv "$work/model.csv" > /dev/null 2>&1; status=$?
check "evaluate --model adds a model row per tile (got $status)" '[ $status -eq 0 ] && [ "$(grep -c ",model," "$work/model.csv")" -eq "$tiles" ]'

# Registration: the ITK pair, and a field that is not in the image.
"$medsr" register "$fx/registration/BrainProtonDensitySliceShifted13x17y.png" "$fx/registration/BrainProtonDensitySlice.png" --scale 1 --json --overlay "$work/overlay.png" > "$work/reg.json"; status=$?
check "register finds the ITK slice at (33, 37) and writes an overlay (got $status)" '[ $status -eq 0 ] && python3 -c "import json,sys;r=json.load(open(sys.argv[1]));sys.exit(0 if r[\"found\"] and abs(r[\"x\"]-33)<=0.5 and abs(r[\"y\"]-37)<=0.5 else 1)" "$work/reg.json" && [ -s "$work/overlay.png" ]'
"$medsr" register "$fx/tiff/slide_jpeg_subifd.tif" "$fx/registration/BrainProtonDensitySlice.png" --scale 1 --json > "$work/notfound.json"; status=$?
check "a field from another image is not found → exit 1 (got $status)" '[ $status -eq 1 ] && grep -q "\"found\": false" "$work/notfound.json"'
"$medsr" register "$fx/registration/skimage/low_ihc.png" "$fx/registration/skimage/field_astronaut_s1.png" --scale 1 --json --overlay "$work/astro.png" > "$work/astro.json"; status=$?
check "a crop of astronaut.png is not found in ihc.png, with the evidence in --json and no overlay (got $status)" '[ $status -eq 1 ] && python3 -c "import json,sys;r=json.load(open(sys.argv[1]));e=r[\"evidence\"];sys.exit(0 if not r[\"found\"] and e[\"z\"]<8 and [l[\"level\"] for l in e[\"levels\"]]==[0,1,2] and r[\"reason\"] else 1)" "$work/astro.json" && [ ! -e "$work/astro.png" ]'

# Registered pairs: three fields of fixtures/pairs are used, one from another image and one
# truncated file are listed and skipped (exit 3); LR tiles are low.png's own pixels.
"$medsr" pairs --low "$fx/pairs/low.png" --high "$fx/pairs/fields" --scale-range 3.6:4.4 --factor 4 --tile 64 \
  --out "$work/pairs" --overlay "$work/pairs.png" > "$work/pairs.out" 2> "$work/pairs.err"; status=$?
check "pairs registers 3 of 5 fields, lists 2 skipped, exit 3 (got $status)" '[ $status -eq 3 ] && grep -q "^3 of 5 field" "$work/pairs.out" && [ "$(grep -c "skipped$" "$work/pairs.err")" -eq 2 ] && [ "$(wc -l < "$work/pairs.err")" -eq 2 ] && [ -s "$work/pairs.png" ]'
check "pairs dataset is complete: 48 tiles in tiles.csv and a root zarr.json" '[ "$(tail -n +2 "$work/pairs/tiles.csv" | wc -l)" -eq 48 ] && [ -s "$work/pairs/zarr.json" ] && "$medsr" inspect "$work/pairs" > /dev/null'
"$medsr" pairs --low "$fx/pairs/low.png" --high "$fx/pairs/fields" --scale 4 --out "$work/pairs" > /dev/null 2> "$work/pairs2.err"; status=$?
check "pairs refuses an output folder that is not empty (got $status)" '[ $status -eq 1 ] && grep -q "not empty" "$work/pairs2.err"'

# Issue 16 (first contact): an installed medsr, no overwritten runs, negative numbers, output
# formats it can write, disk errors in one line, and the small ones.
tools=$(cd "$(dirname "$0")" && pwd)
unset MEDSR_MANIFESTS
prefix="$work/prefix"; mkdir -p "$work/elsewhere" "$work/links"
bash "$tools/install.sh" "$medsr" "$prefix" > /dev/null
ln -s "$prefix/bin/medsr" "$work/links/medsr"
(cd "$work/elsewhere" && PATH="$prefix/bin:$PATH" medsr build dicom-folder --input "$fx/dicom/series" --out by-name --tile 32 > /dev/null 2>&1); status=$?
check "installed: a recipe by name from another directory (got $status)" '[ $status -eq 0 ] && [ -f "$work/elsewhere/by-name/zarr.json" ]'
(cd "$work/elsewhere" && PATH="$work/links:$PATH" medsr build dicom-folder --input "$fx/dicom/series" --out by-link --tile 32 > /dev/null 2>&1); status=$?
check "installed: through a symbolic link on PATH (got $status)" '[ $status -eq 0 ] && [ -f "$work/elsewhere/by-link/zarr.json" ]'
(cd "$work/elsewhere" && "$work/links/medsr" build no-such-recipe --input "$fx/dicom/series" --out none > /dev/null 2> "$work/norecipe.err"); status=$?
check "an unknown recipe: exit 2, the folders looked in and the recipes there (got $status)" '[ $status -eq 2 ] && grep -q "looked in .*$prefix/share/medsr/Manifests" "$work/norecipe.err" && grep -q "recipes there: .*dicom-folder" "$work/norecipe.err"'

cp "$work/run/model.safetensors" "$work/model.before"
"$medsr" train --dataset "$work/ds" --model espcn --scale 4 --steps 2 --batch 2 --patch 8 --out "$work/run" > /dev/null 2> "$work/rerun.err"; status=$?
check "train refuses a run folder in use: exit 1, one line, the model untouched (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/rerun.err")" -eq 1 ] && grep -q -- "--resume" "$work/rerun.err" && cmp -s "$work/run/model.safetensors" "$work/model.before"'
"$medsr" train --dataset "$work/ds" --model espcn --scale 4 --steps 8 --batch 4 --patch 8 --validate-every 3 --resume "$work/run/checkpoint.safetensors" --out "$work/run" > /dev/null 2>&1; status=$?
check "train --resume continues in its own run folder (got $status)" '[ $status -eq 0 ] && [ "$(wc -l < "$work/run/metrics.csv")" -eq 9 ]'

"$medsr" convert "$fx/dicom/conformance/CT_small.dcm" "$work/neg.png" --window -600/1500 > /dev/null 2> "$work/neg.err"; status=$?
check "convert --window -600/1500 parses (got $status)" '[ $status -eq 0 ] && [ -s "$work/neg.png" ]'
"$medsr" build dicom-folder --input "$fx/dicom/series" --out "$work/negds" --tile 32 --window -600/1500 > /dev/null 2>&1; status=$?
check "build --window -600/1500 parses (got $status)" '[ $status -eq 0 ] && grep -q "\"center\" : -600" "$work/negds/recipe.json"'
"$medsr" train --dataset "$work/ds" --patch -4 --out "$work/negrun" > /dev/null 2> "$work/negpatch.err"; status=$?
check "a negative number reaches validation, not \"Missing value\" (got $status)" '[ $status -eq 2 ] && grep -q -- "--patch ≥ 4" "$work/negpatch.err" && ! grep -q "Missing value" "$work/negpatch.err"'

for ext in jpg nii; do
  "$medsr" convert "$fx/dicom/series/a.dcm" "$work/fmt/a.$ext" > /dev/null 2> "$work/fmt.err"; status=$?
  check "convert to .$ext: usage error naming what it writes, nothing written (got $status)" '[ $status -eq 2 ] && grep -q "cannot write .$ext files.*; it writes .png, .tif (or .tiff) and .npy" "$work/fmt.err" && [ ! -e "$work/fmt" ]'
done
"$medsr" convert "$fx/dicom/series/a.dcm" "$work/fmt/a.png" --format npy > /dev/null 2>&1; status=$?
check "an extension that contradicts --format is a usage error (got $status)" '[ $status -eq 2 ] && [ ! -e "$work/fmt" ]'
"$medsr" upscale --model "$work/run" "$fx/png/types/gray16.png" "$work/fmt/up.jpg" > /dev/null 2> "$work/upfmt.err"; status=$?
check "upscale to .jpg: usage error naming what it writes (got $status)" '[ $status -eq 2 ] && grep -q "cannot write .jpg files; upscale writes .png, .tif (or .tiff) and .dcm" "$work/upfmt.err"'

# Disk errors: a read-only file system (root ignores permissions; a read-only tmpfs does not).
ro="$work/ro"; mkdir -p "$ro"; why="read-only file system"
if mount -t tmpfs -o ro,size=64k tmpfs "$ro" 2> /dev/null; then
  trap 'umount "$work/ro" "$work/full" 2> /dev/null; rm -rf "$work"' EXIT
else
  ro=/sys/medsr-cli-check; why="operation not permitted"  # /sys refuses new entries, even to root
fi
one_line_error() {  # stderr file, path → exactly one line, naming the path and the reason, no Foundation text
  [ "$(wc -l < "$1")" -eq 1 ] && grep -q "$2" "$1" && grep -qi "$why" "$1" && ! grep -q "NSCocoaErrorDomain" "$1"
}
"$medsr" convert "$work/in/dicom" "$ro/out" > /dev/null 2> "$work/ro1.err"; status=$?
check "convert a folder onto a read-only disk: exit 1, one line (got $status)" '[ $status -eq 1 ] && one_line_error "$work/ro1.err" "$ro/out"'
"$medsr" convert "$fx/dicom/series/a.dcm" "$ro/a.png" > /dev/null 2> "$work/ro2.err"; status=$?
check "convert a file onto a read-only disk: exit 1, one line (got $status)" '[ $status -eq 1 ] && one_line_error "$work/ro2.err" "$ro"'
"$medsr" build figshare-brain-tumour --input "$fx/mat/figshare" --out "$ro/ds" > /dev/null 2> "$work/ro3.err"; status=$?
check "build onto a read-only disk: exit 1, one line (got $status)" '[ $status -eq 1 ] && one_line_error "$work/ro3.err" "$ro/ds"'
"$medsr" train --dataset "$work/ds" --steps 2 --batch 2 --patch 8 --out "$ro/run" > /dev/null 2> "$work/ro4.err"; status=$?
check "train onto a read-only disk: exit 1, one line (got $status)" '[ $status -eq 1 ] && one_line_error "$work/ro4.err" "$ro/run"'
for out in "--csv $ro/s.csv" "--json $ro/s.json" "--report $ro/r.html"; do
  "$medsr" evaluate --dataset "$work/ds" --split train --scale 4 $out > "$work/ro5.out" 2> "$work/ro5.err"; status=$?
  check "evaluate ${out%% *} onto a read-only disk: exit 1, one line, before scoring (got $status)" '[ $status -eq 1 ] && one_line_error "$work/ro5.err" "$ro" && [ ! -s "$work/ro5.out" ]'
done
"$medsr" upscale --model "$work/run" "$fx/png/types/gray16.png" "$ro/up.png" > /dev/null 2> "$work/ro6.err"; status=$?
check "upscale onto a read-only disk: exit 1, one line (got $status)" '[ $status -eq 1 ] && one_line_error "$work/ro6.err" "$ro"'
mkdir -p "$work/full"
if mount -t tmpfs -o size=64k tmpfs "$work/full" 2> /dev/null; then
  dd if=/dev/zero of="$work/full/filler" bs=4k 2> /dev/null
  "$medsr" convert "$work/in/dicom" "$work/full/out" > /dev/null 2> "$work/full.err"; status=$?
  check "convert onto a full disk: exit 1, one line saying so (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/full.err")" -eq 1 ] && grep -q "no space left on device" "$work/full.err"'
  rm -f "$work/full/filler"; head -c 40000 /dev/urandom > "$work/full/filler"
  "$medsr" convert "$fx/mat/figshare" "$work/full/fills" --jobs 1 > /dev/null 2> "$work/fills.err"; status=$?
  check "a disk that fills during convert: said once, the run stops, exit 1, no partial files (got $status)" '[ $status -eq 1 ] && [ "$(grep -c "no space left on device" "$work/fills.err")" -eq 1 ] && grep -q "^stopped: " "$work/fills.err" && ! grep -q "\.part" "$work/fills.err" && [ -z "$(find "$work/full" -name "*.part")" ]'
fi

# The small ones.
mkdir -p "$work/empty"
"$medsr" inspect "$work/empty" > "$work/empty.out" 2> "$work/empty.err"; status=$?
check "inspect an empty folder: exit 1 saying it has no files (got $status)" '[ $status -eq 1 ] && grep -q "no files" "$work/empty.err" && [ ! -s "$work/empty.out" ]'
"$medsr" inspect "$work/in" > /dev/null 2> "$work/unread.err"; status=$?
check "inspect a folder with an unreadable file: exit 3 (got $status)" '[ $status -eq 3 ] && grep -q "truncated.dcm" "$work/unread.err"'
mkdir -p "$work/cut"; head -c 2000 "$fx/png/types/rgb16.png" > "$work/cut/cut.png"; head -c 40000 "$fx/mat/figshare/5.mat" > "$work/cut/cut.mat"
for f in cut.png cut.mat; do
  "$medsr" inspect "$work/cut/$f" > /dev/null 2> "$work/cut.err"; status=$?
  check "inspect a truncated ${f#cut.}: exit 1, one line saying truncated (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/cut.err")" -eq 1 ] && grep -q "truncated: .*the file ends at byte" "$work/cut.err"'
done
"$medsr" inspect "$fx/dicom/conformance/MR_truncated.dcm" > /dev/null 2> "$work/dcmcut.err"
check "a truncated DICOM: \"ends early\" and where, not DCMTK's words" 'grep -q "the file ends early: element (7FE0,0010) at byte 1488 declares 8192 bytes; the file ends at byte 9630" "$work/dcmcut.err" && ! grep -q "I/O suspension" "$work/dcmcut.err"'
mkdir -p "$work/withtext"; cp "$fx"/dicom/series/*.dcm "$work/withtext/"; echo "not an image" > "$work/withtext/README.txt"
"$medsr" convert "$work/withtext" "$work/withtext-out" > /dev/null 2> "$work/withtext.err"; status=$?
check "convert skips a README.txt in a DICOM folder and says so, exit 0 (got $status)" '[ $status -eq 0 ] && grep -q "; 1 file that is not an image skipped" "$work/withtext.err" && ! grep -q "failed" "$work/withtext.err"'
mkdir -p "$work/skipdcm/bad"; cp "$fx"/dicom/series/*.dcm "$work/skipdcm/"; cp "$work/in/bad/truncated.dcm" "$work/skipdcm/bad/"
"$medsr" build "$fx/../Manifests/dicom-folder.json" --input "$work/skipdcm" --out "$work/skipds" --tile 32 > /dev/null 2> "$work/skip.err"
check "build names a skipped file once" '[ "$(grep -o "truncated.dcm" "$work/skip.err" | wc -l)" -eq 1 ] && grep -q "^medsr: skipped bad/truncated.dcm: DICOM: the file ends early" "$work/skip.err"'
mkdir -p "$work/dups"; for i in 1 2 3 4 5 6; do cp "$fx/dicom/series/a.dcm" "$work/dups/copy$i.dcm"; done
mkdir -p "$work/single"; cp "$fx/dicom/series/a.dcm" "$work/single/"
"$medsr" inspect "$work/dups" > "$work/dups.out" 2>&1; "$medsr" inspect "$work/single" > "$work/single.out" 2>&1
check "a cut list of duplicates says how many more, and \"1 image\" is singular" 'grep -q "duplicates: 5 (.*, and 2 more" "$work/dups.out" && grep -q "^1 file: 1 dicom$" "$work/single.out" && grep -q ", 1 image 128" "$work/single.out"'
"$medsr" convert --help > "$work/help.txt"
check "a default is printed once" '! grep -q "(default: cores)\. (default:" "$work/help.txt"'
hardwrapped=0

for cmd in "" inspect convert build merge export evaluate audit train classify downstream upscale restore register pairs serve; do
  # With room for any paragraph, prose is one line per paragraph (ArgumentParser wraps it, not the source).
  COLUMNS=3000 "$medsr" $cmd --help | awk '/^USAGE:/ { done = 1 } !done && prev != "" && prev !~ /:$/ && $0 != "" && $0 !~ /^ / { bad = 1 } { prev = $0 } END { exit bad }' || { hardwrapped=1; echo "  hard-wrapped help: medsr $cmd"; }
done
check "help prose is not hard-wrapped" '[ $hardwrapped -eq 0 ]'
(head -c 32 /dev/urandom > "$work/key.bin")
"$medsr" build "$fx/../Manifests/dicom-folder.json" --input "$fx/dicom/series" --out "$work/keyds" --tile 32 --key-file <(cat "$work/key.bin") > /dev/null 2> "$work/key.err"; status=$?
check "--key-file <(…) is read as a stream (got $status)" '[ $status -eq 0 ] && [ -f "$work/keyds/zarr.json" ]'

# Found by a newcomer test: grey levels kept, empty builds fail, compound extensions, Ctrl-C.
mkdir -p "$work/lv/ref" "$work/lv/pred"; cp "$fx/png/types/gray8.png" "$work/lv/ref/a.png"; cp "$fx/jpeg/gray.jpg" "$work/lv/ref/b.jpg"
"$medsr" convert "$fx/png/types/gray8.png" "$work/lv/pred/a.png" > /dev/null 2>&1
"$medsr" convert "$fx/jpeg/gray.jpg" "$work/lv/pred/b.png" > /dev/null 2>&1
"$medsr" convert "$fx/jpeg/gray.jpg" "$work/lv/ref/b.png" --format png --window none > /dev/null 2>&1; rm "$work/lv/ref/b.jpg"
"$medsr" evaluate --pred "$work/lv/pred" --ref "$work/lv/ref" --csv "$work/lv.csv" > /dev/null 2>&1
check "8-bit grey PNG and JPEG convert to PNG with their own levels (not stretched)" '[ "$(grep -c ",inf,1.000000," "$work/lv.csv")" -eq 2 ]'
"$medsr" build sunnybrook --input "$fx/sunnybrook" --out "$work/sb128" > /dev/null 2> "$work/sb128.err"; status=$?
check "a build that makes no tiles fails and says why (got $status)" '[ $status -eq 1 ] && grep -q "no tiles were made" "$work/sb128.err"'
"$medsr" convert "$fx/nifti/standard.nii.gz" "$work/niidir/" > /dev/null 2>&1; status=$?
check "a .nii.gz into a folder is named without .nii (got $status)" '[ $status -eq 0 ] && [ -f "$work/niidir/standard_f0000.png" ]'
timeout -s INT 3 "$medsr" train --dataset "$work/ds" --model espcn --scale 4 --steps 100000 --batch 4 --patch 8 --validate-every 50 --out "$work/runint" > "$work/int.log" 2> "$work/int.err"
check "Ctrl-C during training: the log keeps its lines, one line says how to resume, no model" '[ -s "$work/int.log" ] && grep -q "interrupted; .*--resume" "$work/int.err" && [ ! -e "$work/runint/model.safetensors" ]'

# Issue 17's recipes, from their miniatures.
"$medsr" build kermany-pneumonia --input "$fx/kermany" --out "$work/kermany" --resize 64 --tile 32 --scales 2 --split-policy official > "$work/kermany.out" 2> "$work/kermany.err"; status=$?
check "kermany-pneumonia: the truncated JPEG is one line and exit 3 (got $status)" '[ $status -eq 3 ] && [ "$(grep -c "person150_bacteria_716.jpeg" "$work/kermany.err")" -eq 1 ]'
check "kermany-pneumonia: labels normal/bacteria/virus, official folders kept, the shared patient reported" 'grep -q "^train .*bacteria 3, normal 4, virus 2" "$work/kermany.out" && grep -q "^val .*bacteria 1, normal 1" "$work/kermany.out" && grep -q "train+test 1): a known leak" "$work/kermany.out"'
check "kermany-pneumonia: --resize 64 gives 4 tiles of 32 per image, no patient id in tiles.csv" '[ "$(tail -n +2 "$work/kermany/tiles.csv" | wc -l)" -eq 60 ] && ! grep -q "person\|IM-0" <(cut -d, -f4 "$work/kermany/tiles.csv")'
"$medsr" build cvc-clinicdb --input "$fx/cvc/CVC-ClinicDB" --out "$work/clinicdb" --tile 32 --min-foreground 0 > "$work/clinicdb.out" 2> "$work/clinicdb.err"; status=$?
check "cvc-clinicdb: a truncated TIFF is skipped (exit 3, got $status), sequences become the sequence column" '[ $status -eq 3 ] && grep -q "Original/7.tif" "$work/clinicdb.err" && [ "$(cut -d, -f14 "$work/clinicdb/tiles.csv" | sort -u | tr "\n" " ")" = "1 2 sequence " ]'
"$medsr" build cvc-colondb --input "$fx/cvc/CVC-ColonDB" --out "$work/colondb" --tile 32 --min-foreground 0 > "$work/colondb.out" 2>&1; status=$?
check "cvc-colondb: three named masks; without sequences.csv a loud warning (got $status)" '[ $status -eq 0 ] && grep -q "warning: no sequences.csv" "$work/colondb.out" && grep -q "\"contour\"" "$work/colondb/zarr.json"'
printf 'first,last,sequence\n1,5,v1\n' > "$work/colondb-seq.csv"
"$medsr" build cvc-colondb --input "$fx/cvc/CVC-ColonDB" --out "$work/colondb2" --tile 32 --min-foreground 0 --sequences "$work/colondb-seq.csv" > "$work/colondb2.out" 2>&1; status=$?
check "cvc-colondb --sequences FILE: one video is one patient (got $status)" '[ $status -eq 0 ] && [ "$(tail -n +2 "$work/colondb2/tiles.csv" | cut -d, -f4 | sort -u | wc -l)" -eq 1 ] && ! grep -q "warning: no sequences" "$work/colondb2.out"'
"$medsr" build nifti-volumes --input "$fx/nifti-volumes/BraTS" --out "$work/brats" --tile 32 --stride 8 > "$work/brats.out" 2>&1; status=$?
check "nifti-volumes: BraTS cases, 4 modalities, masks tumour/necrotic/oedema/enhancing (got $status)" '[ $status -eq 0 ] && [ "$(tail -n +2 "$work/brats/tiles.csv" | cut -d, -f14 | sort -u | tr "\n" " ")" = "flair t1 t1ce t2 " ] && grep -q "\"enhancing\"" "$work/brats/zarr.json"'
"$medsr" build nifti-volumes --input "$fx/nifti-volumes/Task01_Mini" --out "$work/msd" --tile 32 --stride 8 --labels tumour=1+2+3,enhancing=3 --axis 2 > /dev/null 2>&1; status=$?
check "nifti-volumes --labels on the Decathlon layout (got $status)" '[ $status -eq 0 ] && grep -q "\"mask_names\" *: *\[ *\"tumour\", *\"enhancing\"" "$work/msd/zarr.json"'
"$medsr" build nifti-volumes --input "$fx/nifti-volumes/BraTS" --out "$work/badlabels" --labels "tumour=x" > /dev/null 2> "$work/badlabels.err"; status=$?
check "--labels that are not NAME=V+V are a usage error (got $status)" '[ $status -eq 2 ] && grep -q "NAME=V" "$work/badlabels.err"'

# serve: refuses an open host without a token and a missing root; serves with a token; deletes its uploads at exit.
"$medsr" serve --host 0.0.0.0 --no-token --root "$work" > /dev/null 2> "$work/serve_open.err"; status=$?
check "serve --host 0.0.0.0 --no-token → exit 2, says a token is needed (got $status)" '[ $status -eq 2 ] && grep -q "needs a token" "$work/serve_open.err"'
"$medsr" serve --root "$work/no-such-root" --port 0 > /dev/null 2> "$work/serve_root.err"; status=$?
check "serve with a missing root → exit 1, one line (got $status)" '[ $status -eq 1 ] && [ "$(wc -l < "$work/serve_root.err")" -eq 1 ]'
"$medsr" serve --root "$work" --port 0 > "$work/serve.out" 2> "$work/serve.err" &
serve_pid=$!
for _ in $(seq 1 100); do grep -q "^medsr serve: http" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^medsr serve: //p' "$work/serve.out" | head -1); base=${url%%\?*}; token=${url##*token=}
code_none=$(curl -s -o /dev/null -w "%{http_code}" "${base}api/status")
code_token=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $token" "${base}api/datasets")
code_host=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $token" -H "Host: evil.example" "${base}api/status")
code_dots=$(curl -s -o /dev/null -w "%{http_code}" --path-as-is -H "Authorization: Bearer $token" "${base}files/0/../../etc/passwd")
curl -s -H "Authorization: Bearer $token" --data-binary @"$fx/png/types/gray8.png" "${base}api/upload?name=g.png&scale=2" > "$work/serve_up.json"
uploads=$(ls -d "${TMPDIR:-/tmp}"/medsr-serve-$serve_pid-* 2>/dev/null | head -1)
kill -TERM $serve_pid; wait $serve_pid 2>/dev/null
check "serve prints one URL with a token; 403 without it, 200 with it, 403 for a foreign Host, 404 for .. (got $code_none $code_token $code_host $code_dots)" '[ "$code_none" = 403 ] && [ "$code_token" = 200 ] && [ "$code_host" = 403 ] && [ "$code_dots" = 404 ] && [ -n "$token" ]'
check "serve: an upload gives input and bicubic; its private folder is gone after SIGTERM" 'grep -q "bicubic.png" "$work/serve_up.json" && [ -n "$uploads" ] && [ ! -e "$uploads" ]'
check "serve logs no refused path contents" '! grep -q "etc/passwd" "$work/serve.err"'

for cmd in "" inspect convert build merge export evaluate audit train classify downstream upscale restore register pairs serve; do
  "$medsr" $cmd --help > "$work/help" 2>&1
  check "--help for '${cmd:-medsr}'" '[ -s "$work/help" ]'
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
