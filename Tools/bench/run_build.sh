#!/usr/bin/env bash
# Dataset-build benchmark (Tools/bench/build_bench.py); makes its own venv under .build/bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=.build/bench
mkdir -p "$work"
if ! "$work/venv-build/bin/python" -c "import zarr, numpy, PIL" 2>/dev/null; then
  python3 -m venv "$work/venv-build"
  "$work/venv-build/bin/pip" install -q "zarr>=3" numpy pillow
fi
[ -x .build/release/medsr-bench ] || swift build -c release --product medsr-bench
"$work/venv-build/bin/python" Tools/bench/build_bench.py .build/release/medsr .build/release/medsr-bench "$work" "${N_IMAGES:-200}" "${ROUNDS:-3}"
