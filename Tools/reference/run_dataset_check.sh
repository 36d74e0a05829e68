#!/usr/bin/env bash
# Build datasets from the fixtures and check them with zarr-python 3 (needs PyPI; makes its
# own venv): shapes, dtypes, every tile bit-exact against `medsr export`, a sample against the
# source files and Pillow's BICUBIC, and the manifest.
set -euo pipefail
medsr=$(realpath "$1")
here=$(cd "$(dirname "$0")/../.." && pwd)
venv=${DATASET_CHECK_VENV:-$here/.build/zarrcheck}
if ! "$venv/bin/python" -c "import zarr, numpy, PIL, h5py, scipy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "zarr>=3" numpy pillow h5py scipy
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export MEDSR_MANIFESTS="$here/Manifests"
fx="$here/Fixtures"
check() {  # name, input, build flags...
  local name=$1 input=$2; shift 2
  "$medsr" build "$@" --input "$input" --out "$work/$name" > /dev/null 2>&1 || [ $? -eq 3 ]
  for s in train val test; do "$medsr" export "$work/$name" --split "$s" --format npy --out "$work/$name-npy" > /dev/null; done
  echo "== $name"
  "$venv/bin/python" "$here/Tools/reference/check_dataset.py" "$work/$name" "$work/$name-npy" "$input"
}
check figshare "$fx/mat/figshare" figshare-brain-tumour --tile 128
check figshare-raw "$fx/mat/figshare" figshare-brain-tumour --tile 64 --compression none --scales 2,4
check nih "$fx/png/nih" nih-chestxray14 --tile 256 --scales 2,4
check dicom "$fx/dicom/series" dicom-folder --tile 32
check slides "$fx/tiff" microscopy-slides --tile 128 --scales 2
check sunnybrook "$fx/sunnybrook" sunnybrook --tile 32 --min-foreground 0.1
check sunnybrook-phases "$fx/sunnybrook" sunnybrook --tile 32 --context phases:1
check kermany "$fx/kermany" kermany-pneumonia --tile 32 --scales 2 --min-foreground 0
check kermany-official-resized "$fx/kermany" kermany-pneumonia --resize 64 --tile 32 --scales 2 --split-policy official
check cvc-clinicdb "$fx/cvc/CVC-ClinicDB" cvc-clinicdb --tile 32 --stride 16 --min-foreground 0
check cvc-colondb "$fx/cvc/CVC-ColonDB" cvc-colondb --tile 32 --stride 16 --min-foreground 0
check nifti-brats "$fx/nifti-volumes/BraTS" nifti-volumes --tile 32 --stride 8 --scales 2
check nifti-msd "$fx/nifti-volumes/Task01_Mini" nifti-volumes --tile 32 --stride 8 --scales 2 --labels tumour=1+2+3,enhancing=3
