#!/usr/bin/env bash
# Makes a small root for `medsr serve` checks from the fixtures: a figshare dataset (tile 128,
# ×2 and ×4) and a short ESPCN ×4 training run. Usage: make_root.sh MEDSR OUT_ROOT
set -euo pipefail
medsr=$1 out=$2
fx=$(cd "$(dirname "$0")/../../Fixtures" && pwd)
rm -rf "$out"; mkdir -p "$out/runs"
MEDSR_MANIFESTS="$fx/../Manifests" "$medsr" build figshare-brain-tumour --input "$fx/mat/figshare" --out "$out/figshare" --tile 128 > /dev/null
"$medsr" train --dataset "$out/figshare" --model espcn --scale 4 --steps 40 --batch 4 --patch 8 --validate-every 10 --out "$out/runs/espcn-x4" > /dev/null
echo "$out: dataset figshare, run runs/espcn-x4"
