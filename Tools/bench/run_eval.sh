#!/usr/bin/env bash
# Plain-file evaluation benchmark (Tools/bench/eval_bench.py); makes its own venv under .build/bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=.build/bench
mkdir -p "$work"
if ! "$work/venv-eval/bin/python" -c "import skimage, scipy, PIL, numpy" 2>/dev/null; then
  python3 -m venv "$work/venv-eval"
  "$work/venv-eval/bin/pip" install -q scikit-image scipy pillow numpy
fi
[ -x .build/release/medsr ] || swift build -c release --product medsr
"$work/venv-eval/bin/python" Tools/bench/eval_bench.py .build/release/medsr "$work/eval" "${1:-3}" "${2:-24}"
