#!/usr/bin/env bash
# Hostile headers and bombs fail fast with one clear line under a 1 GiB address-space limit:
# exit status 1, no crash, no hang (10 s each), nothing written.
# usage: check.sh MEDSR
set -u
medsr=$(realpath "$1")
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 "$here/Tools/hostile/make_hostile.py" "$work/in" > /dev/null
pass=0 fail=0
run() {  # name, command...
  local name=$1; shift
  ( ulimit -v 1048576; timeout 10 "$@" > "$work/out.txt" 2> "$work/err.txt" ); local status=$?
  if [ $status -eq 1 ] && [ "$(wc -l < "$work/err.txt")" -eq 1 ] && ! grep -q "runtime failure\|Backtrac" "$work/err.txt"; then
    pass=$((pass + 1)); echo "ok   $name: $(cut -c1-150 "$work/err.txt")"
  else
    fail=$((fail + 1)); echo "FAIL $name: exit $status"; head -3 "$work/err.txt"
  fi
}
run "PNG claiming 2^31 x 2^31" "$medsr" convert "$work/in/huge.png" "$work/o1.png"
run "TIFF claiming 2^31 x 2^31 in tiles" "$medsr" convert "$work/in/tiles.tif" "$work/o2.png"
run "DICOM 65535 x 65535 x 10000 frames" "$medsr" convert "$work/in/huge.dcm" "$work/o3.png"
run "DICOM deflate bomb (1 GiB of zeros)" "$medsr" convert "$work/in/bomb.dcm" "$work/o4.png"
run "JPEG claiming 65535 x 65535" "$medsr" convert "$work/in/huge65535.jpg" "$work/o6.png"
run "JPEG claiming 65500 x 65500 x 3" "$medsr" convert "$work/in/huge65500.jpg" "$work/o7.png"
run "BMP whose sizes lie (30000 x 30000 over 64 bytes)" "$medsr" convert "$work/in/lying.bmp" "$work/o8.png"
run "BMP claiming 2^31 x 2^31" "$medsr" convert "$work/in/huge.bmp" "$work/o9.png"
run "MATLAB v4 claiming 2^31 x 2^31 doubles" "$medsr" convert "$work/in/huge_v4.mat" "$work/o10.png"
run "safetensors claiming a 2^31 x 2^31 tensor" "$medsr" upscale --model "$work/in/shapes.safetensors" "$work/in/huge.png" "$work/o5.png"
run "NIfTI claiming 2^31 float32 voxels" "$medsr" convert "$work/in/huge.nii" "$work/o6.png"
run "NIfTI .gz claiming 2^31 uint8 voxels" "$medsr" convert "$work/in/huge_u8.nii.gz" "$work/o7.png"
run "NIfTI truncated after 1 KiB of voxels" "$medsr" convert "$work/in/truncated.nii" "$work/o8.png"
( ulimit -v 1048576; timeout 10 "$medsr" inspect "$work/in/huge.nii" > "$work/inspect.txt" 2>&1 ) \
  && grep -q "2048 × 1024 × 1024" "$work/inspect.txt" && { pass=$((pass + 1)); echo "ok   inspect describes the 2^31-voxel NIfTI header"; } \
  || { fail=$((fail + 1)); echo "FAIL inspect of the 2^31-voxel NIfTI header"; head -3 "$work/inspect.txt"; }
ls "$work"/o*.png > /dev/null 2>&1 && { fail=$((fail + 1)); echo "FAIL: an output was written"; }
echo "hostile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
