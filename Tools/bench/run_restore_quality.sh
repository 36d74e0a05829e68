#!/usr/bin/env bash
# Issue 18's restoration quality evidence (Tools/bench/restore_quality.py): U-Net on
# blur:gaussian:2 against unsharp mask, DnCNN on noise:gaussian:15 against non-local means, each
# against the same network trained in PyTorch. Makes a venv with torch, zarr-python and
# scikit-image under .build/bench; takes the ITK T1 volume from the insighttoolkit5-examples
# package (apt-get download, no root). About 2 x MINUTES (default 15) of wall time.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=.build/bench
mkdir -p "$work"
if ! "$work/venv-restore/bin/python" -c "import torch, zarr, PIL, skimage, safetensors" 2>/dev/null; then
  python3 -m venv "$work/venv-restore"
  "$work/venv-restore/bin/pip" install -q torch "zarr>=3" pillow numpy scikit-image safetensors
fi
itk="$work/itk/usr/share/doc/insighttoolkit5-examples/examples/Data"
if [ ! -f "$itk/KmeansTest_T1UCharRaw.nii.gz" ]; then
  (mkdir -p "$work/itk" && cd "$work/itk" && apt-get download insighttoolkit5-examples >/dev/null && dpkg -x insighttoolkit5-examples_*.deb .)
fi
"$work/venv-restore/bin/python" Tools/bench/restore_quality.py .build/release/medsr "$itk" "$work/restore-quality${TAG:-}" --minutes "${MINUTES:-15}" "$@"
