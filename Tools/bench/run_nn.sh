#!/usr/bin/env bash
# ESPCN against PyTorch (Tools/bench/nn_bench.py, train_quality.py); makes a venv with torch
# from PyPI (large: PyPI's Linux torch wheels bring the CUDA libraries) under .build/bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=.build/bench
mkdir -p "$work"
if ! "$work/venv-torch/bin/python" -c "import torch, zarr, PIL" 2>/dev/null; then
  python3 -m venv "$work/venv-torch"
  "$work/venv-torch/bin/pip" install -q torch "zarr>=3" pillow numpy
fi
itk="$work/itk/usr/share/doc/insighttoolkit5-examples/examples/Data"
if [ ! -f "$itk/KmeansTest_T1UCharRaw.nii.gz" ]; then
  (mkdir -p "$work/itk" && cd "$work/itk" && apt-get download insighttoolkit5-examples >/dev/null && dpkg -x insighttoolkit5-examples_*.deb .)
fi
"$work/venv-torch/bin/python" Tools/bench/nn_bench.py .build/release/medsr-bench 3
"$work/venv-torch/bin/python" Tools/bench/train_quality.py .build/release/medsr "$itk" "$work/quality" "${STEPS:-10000}"
