#!/usr/bin/env bash
# Registration benchmark (Tools/bench/register_bench.py); makes its own venv under .build/bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=.build/bench
mkdir -p "$work"
if ! "$work/venv-cv/bin/python" -c "import cv2, tifffile, PIL, numpy" 2>/dev/null; then
  python3 -m venv "$work/venv-cv"
  "$work/venv-cv/bin/pip" install -q opencv-python-headless tifffile imagecodecs pillow numpy
fi
[ -x .build/release/medsr-bench ] || swift build -c release --product medsr-bench
"$work/venv-cv/bin/python" Tools/bench/register_bench.py .build/release/medsr-bench "$work/register" 3
