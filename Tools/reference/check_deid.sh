#!/usr/bin/env bash
# `medsr upscale … out.dcm` on public DICOMs full of (synthetic) identifiers: the output must be a
# valid IOD (dciodvfy from dicom3tools: no error the source did not already have) and must hold
# none of the source's identifying values (Tools/reference/deid_leaks.py, with pydicom).
# Inputs: MedSR's fixtures, pydicom's MR_small.dcm, every DICOM of the PyPI package deid-data.
# Usage: check_deid.sh path/to/medsr   (needs dicom3tools and dcmtk: `make deps`; PyPI for the venv)
set -euo pipefail
medsr=$(realpath "$1")
work=${DEID_DIR:-.build/deid-check}
mkdir -p "$work/out"
command -v dciodvfy >/dev/null || { echo "check_deid: dciodvfy missing (Debian package dicom3tools; make deps)"; exit 2; }
if ! "$work/venv/bin/python" -c "import pydicom, deid_data" 2>/dev/null; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q pydicom deid-data
fi
site=$("$work/venv/bin/python" -c "import os, deid_data, pydicom; print(os.path.dirname(deid_data.__file__)); print(os.path.dirname(pydicom.__file__))")
deid=$(echo "$site" | sed -n 1p)/data
pyd=$(echo "$site" | sed -n 2p)/data/test_files
(cd "$work" && rm -rf us && mkdir us && cd us && for z in "$deid"/ultrasounds/*.zip; do python3 -m zipfile -e "$z" . >/dev/null; done)

# A tiny ESPCN ×2: enough to write derived images (quality is not the point here).
if [ ! -f "$work/run/model.safetensors" ]; then
  rm -rf "$work/ds" "$work/run"
  "$medsr" build image-folder --input Fixtures/mri-t1 --out "$work/ds" --tile 64 --stride 32 --scales 2 --seed a1 >/dev/null
  "$medsr" train --dataset "$work/ds" --model espcn --scale 2 --patch 12 --batch 8 --steps 20 --validate-every 10 --seed 7 --out "$work/run" >/dev/null
fi

errors() { dciodvfy "$1" 2>&1 | grep -a '^Error' | sed 's/ *$//' | sort -u || true; }
inputs=(Fixtures/dicom/conformance/CT_small.dcm "$pyd/MR_small.dcm" Fixtures/dicom/deid/phi_ct.dcm
        "$deid"/humans/*.dcm "$deid"/dicom-cookies/*.dcm "$deid"/ultrasounds/*.dcm "$deid"/animals/*.dcm)
while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$work/us" -type f -print0 | sort -z)
status=0
printf '%-34s %7s %7s %5s %6s\n' input before after new leaks
for f in "${inputs[@]}"; do
  name=$(basename "$(dirname "$f")")_$(basename "$f" .dcm)
  out="$work/out/$name-x2.dcm"
  rm -f "$out"
  if ! "$medsr" upscale --model "$work/run/model.safetensors" "$f" "$out" --max-mb 512 >"$work/out/$name.log" 2>&1; then
    printf '%-34s %s\n' "$name" "upscale refused: $(tail -1 "$work/out/$name.log")"; continue
  fi
  errors "$f" >"$work/out/$name.before"; errors "$out" >"$work/out/$name.after"
  new=$(comm -13 "$work/out/$name.before" "$work/out/$name.after" | wc -l)
  leaks=$("$work/venv/bin/python" Tools/reference/deid_leaks.py "$f" "$out" | tee "$work/out/$name.leaks" | wc -l)
  printf '%-34s %7d %7d %5d %6d\n' "$name" "$(wc -l <"$work/out/$name.before")" "$(wc -l <"$work/out/$name.after")" "$new" "$leaks"
  if [ "$new" -gt 0 ] || [ "$leaks" -gt 0 ]; then
    status=1
    comm -13 "$work/out/$name.before" "$work/out/$name.after" | sed 's/^/    new: /'
    sed 's/^/    leak: /' "$work/out/$name.leaks"
  fi
done
exit $status
