#!/usr/bin/env bash
# The demo: inspect and convert the shipped fixtures, then say where everything went.
set -euo pipefail
medsr=$(realpath "$1")
out=$2
fx=$(cd "$(dirname "$0")/../Fixtures" && pwd)
rm -rf "$out" && mkdir -p "$out"
out=$(realpath "$out")
say() { printf '\n== %s\n' "$*"; }

say "a DICOM series (5 MR slices; file names shuffled, one slice missing)"
"$medsr" inspect "$fx/dicom/series"
"$medsr" convert "$fx/dicom/series" "$out/series-png" --format png
"$medsr" convert "$fx/dicom/series" "$out/series-npy" --format npy --values modality

say "a figshare brain-tumour record (MATLAB v7.3): image and tumour mask"
"$medsr" inspect "$fx/mat/figshare/1.mat"
"$medsr" convert "$fx/mat/figshare/1.mat" "$out/figshare/1.png"
"$medsr" convert "$fx/mat/figshare/1.mat" "$out/figshare/1_mask.png" --mask tumorMask
"$medsr" convert "$fx/mat/figshare/1.mat" "$out/figshare/1.npy" --format npy

say "a tiled pyramidal slide (JPEG tiles, SubIFD pyramid): one region of level 1"
"$medsr" inspect "$fx/tiff/slide_jpeg_subifd.tif"
"$medsr" convert "$fx/tiff/slide_jpeg_subifd.tif" "$out/slide/region.png" --level 1 --region 128,128,256,256
"$medsr" convert "$fx/tiff/slide_jpeg_subifd.tif" "$out/slide/resaved.tif" --compression jpeg

say "NIH ChestX-ray14-style PNGs (one RGBA, forced to one channel)"
"$medsr" inspect "$fx/png/nih/images/00000002_000.png"
set +e
"$medsr" convert "$fx/png/nih/images" "$out/nih" --format npy --gray
status=$?
set -e
echo "(exit status $status: 00000007_000.png is a truncated download on purpose and is reported, not converted)"

say "JPEG and BMP (pixels as Pillow decodes them; the EXIF orientation applied)"
"$medsr" inspect "$fx/jpeg/gray.jpg"
"$medsr" convert "$fx/jpeg" "$out/jpeg-png" --format png || echo "(exit status $?: the miniature holds a CMYK and a truncated JPEG on purpose)"

say "DICOM conformance files (every transfer syntax MedSR decodes), to PNG"
set +e
"$medsr" convert "$fx/dicom/conformance" "$out/conformance" --format png
status=$?
set -e
echo "(exit status $status: MR_truncated.dcm is truncated on purpose and is reported, not converted)"

say "datasets: figshare-style .mat files, NIH-style PNGs and a DICOM series, tiled with masks and x2/x4 LR tiles"
export MEDSR_MANIFESTS="$fx/../Manifests"
"$medsr" build figshare-brain-tumour --input "$fx/mat/figshare" --out "$out/datasets/figshare" --tile 128
set +e
"$medsr" build nih-chestxray14 --input "$fx/png/nih" --out "$out/datasets/nih" --tile 256
status=$?
set -e
echo "(exit status $status: the miniature holds a truncated download and an unlisted image on purpose)"
"$medsr" build dicom-folder --input "$fx/dicom/series" --out "$out/datasets/dicom" --tile 32

say "a Sunnybrook-style cine MRI miniature: contours to endocardium/epicardium/myocardium masks, 2.5D phase context"
"$medsr" build sunnybrook --input "$fx/sunnybrook" --out "$out/datasets/sunnybrook" --tile 32 --context phases:1
"$medsr" inspect "$out/datasets/sunnybrook"
say "issue 17's recipes: Kermany pneumonia JPEGs (labels normal/bacteria/virus, the official folders and their shared patient), CVC-ClinicDB polyps, BraTS-style NIfTI volumes"
set +e
"$medsr" build kermany-pneumonia --input "$fx/kermany" --out "$out/datasets/kermany" --resize 64 --tile 32 --scales 2 --split-policy official
status=$?
"$medsr" build cvc-clinicdb --input "$fx/cvc/CVC-ClinicDB" --out "$out/datasets/cvc-clinicdb" --tile 32 --min-foreground 0
status2=$?
set -e
echo "(exit statuses $status and $status2: each miniature holds one truncated download on purpose, reported and skipped)"
"$medsr" build nifti-volumes --input "$fx/nifti-volumes/BraTS" --out "$out/datasets/brats" --tile 32 --stride 16

"$medsr" inspect "$out/datasets/figshare"
"$medsr" export "$out/datasets/figshare" --split val --format png --out "$out/datasets/figshare-val-png"

say "evaluation: bicubic and sharpening baselines on the figshare demo dataset, in the tumour region too"
"$medsr" evaluate --dataset "$out/datasets/figshare" --split train --scale 4 --csv "$out/scores.csv" --json "$out/summary.json" --report "$out/report.html"
"$medsr" audit --dataset "$out/datasets/figshare" --split train --scale 4 --worst 5
echo "(the demo set has 5 images of 3 patients, so train is the split with tiles)"

say "training: ESPCN ×4 on real MRI (62 slices of the ITK T1 volume, slabs as patients), about a minute"
"$medsr" build image-folder --input "$fx/mri-t1" --out "$out/datasets/mri-t1" --tile 64 --stride 32 --scales 4 --seed a1
"$medsr" train --dataset "$out/datasets/mri-t1" --model espcn --scale 4 --patch 12 --batch 16 --steps 4000 --validate-every 500 --seed 7 --out "$out/runs/espcn-x4"
"$medsr" evaluate --dataset "$out/datasets/mri-t1" --split test --scale 4 --model "$out/runs/espcn-x4" --csv "$out/model-scores.csv" --report "$out/model-report.html"
"$medsr" upscale --model "$out/runs/espcn-x4" "$fx/mri-t1/slab05/z030.png" "$out/upscaled/z030_x4.png"

say "restoration: DnCNN learns to remove Gaussian noise (σ 15 of 255) from the same MRI, about a minute"
"$medsr" train --task restore --dataset "$out/datasets/mri-t1" --model dncnn --depth 8 --width 32 --degradation noise:gaussian:15 \
  --patch 32 --batch 8 --steps 2000 --lr 2e-3 --validate-every 500 --seed 7 --out "$out/runs/dncnn-noise15"
"$medsr" evaluate --dataset "$out/datasets/mri-t1" --split test --task restore --model "$out/runs/dncnn-noise15" \
  --csv "$out/restore-scores.csv" --report "$out/restore-report.html"
"$medsr" restore --model "$out/runs/dncnn-noise15" "$fx/mri-t1/slab05/z030.png" "$out/restored/z030_denoised.png"

say "registration: where does ITK's brain slice lie in the shifted canvas? (truth: 33, 37)"
"$medsr" register "$fx/registration/BrainProtonDensitySliceShifted13x17y.png" "$fx/registration/BrainProtonDensitySlice.png" --scale 1 --overlay "$out/registration-overlay.png"

say "real LR/HR pairs: microscope fields registered to the 4x-coarser slide (one field is from another image, one is truncated: both are listed and skipped)"
"$medsr" pairs --low "$fx/pairs/low.png" --high "$fx/pairs/fields" --scale-range 3.6:4.4 --factor 4 --tile 64 \
  --out "$out/datasets/pairs" --overlay "$out/pairs-overlay.png" || [ $? -eq 3 ]

say "outputs"
find "$out" -type f -not -path "*/datasets/*" | sort | sed "s|^$out/|  $out/|" | sed -n '1,50p'
echo "  datasets: $(ls "$out/datasets" | tr '\n' ' ')"
echo "  ($(find "$out" -type f | wc -l) files in $out)"
echo "  open $out/report.html (baselines, tumour audit), $out/model-report.html (ESPCN vs baselines),"
echo "  $out/restore-report.html (DnCNN vs Gaussian, median and non-local means) and"
echo "  $out/runs/espcn-x4/report.html (training curves) in a browser: self-contained, no network"
echo "  or browse, compare and upscale them in the local workbench:"
echo "    $medsr serve --root $out"
