#!/usr/bin/env bash
# Check MedSR against pydicom on pydicom's whole test corpus (downloaded from PyPI).
set -euo pipefail
medsr=$(realpath "$1")
work=${CONFORMANCE_DIR:-.build/conformance}
mkdir -p "$work"
if ! "$work/venv/bin/python" -c "import PIL, pydicom, pylibjpeg" 2>/dev/null; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q numpy pillow pydicom pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pylibjpeg-rle
fi
if [ ! -d "$work/corpus/pydicom/data/test_files" ]; then
  rm -rf "$work/corpus" && mkdir -p "$work/corpus"
  "$work/venv/bin/pip" download -q --no-deps pydicom -d "$work/corpus"
  (cd "$work/corpus" && python3 -m zipfile -e pydicom-*.whl . >/dev/null)
fi
"$work/venv/bin/python" Tools/reference/check_pydicom_corpus.py "$medsr" "$work/corpus/pydicom/data/test_files"
