#!/usr/bin/env bash
# Runs MedSR and its Python peers side by side; makes its own venv under .build/bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=.build/bench
mkdir -p "$work"
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q numpy pydicom pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pylibjpeg-rle \
      h5py pillow tifffile imagecodecs zarr
fi
[ -x .build/release/medsr-bench ] || swift build -c release --product medsr-bench
"$work/venv/bin/python" Tools/bench/bench.py .build/release/medsr-bench "$work/data"
"$work/venv/bin/pip" show -q scikit-image >/dev/null 2>&1 || "$work/venv/bin/pip" install -q scikit-image
"$work/venv/bin/python" Tools/bench/ssim_bench.py .build/release/medsr-bench "$work/ssim"
"$work/venv/bin/python" Tools/bench/nlm_bench.py .build/release/medsr-bench "$work/nlm"
# DICOM series → .nii.gz against dcm2niix (Debian dcm2niix), whole process, side by side.
if command -v dcm2niix > /dev/null; then
  "$work/venv/bin/python" Tools/bench/bench_nifti.py .build/release/medsr 200 5
else
  echo "== NIfTI vs dcm2niix skipped: install Debian's dcm2niix"
fi
