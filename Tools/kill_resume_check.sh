#!/usr/bin/env bash
# Kill `medsr build` with SIGKILL at random moments, finish with --resume, and check that the
# dataset is byte-identical to an uninterrupted build, and that no reader ever saw a
# half-written shard (every shard file present after each kill has a valid index).
# usage: kill_resume_check.sh MEDSR RUNS
set -u
medsr=$1; runs=${2:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
input="$here/Fixtures/png/nih"
args=(nih-chestxray14 --input "$input" --tile 128 --scales 2,4 -j 2)
export MEDSR_MANIFESTS="$here/Manifests"
"$medsr" build "${args[@]}" --out "$work/ref" > /dev/null 2>&1
( cd "$work/ref" && find . -type f -print0 | sort -z | xargs -0 sha256sum ) > "$work/ref.sum"
# How long a build takes, to spread the kills over it.
start=$(date +%s%N); "$medsr" build "${args[@]}" --out "$work/timing" > /dev/null 2>&1; end=$(date +%s%N)
span=$(( (end - start) / 1000000 )); [ "$span" -lt 50 ] && span=50
bad=0
for i in $(seq 1 "$runs"); do
  out="$work/run$i"
  delay=$(( RANDOM % span ))
  "$medsr" build "${args[@]}" --out "$out" > /dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  # Every shard visible now must be whole: its last 4 bytes are the CRC-32C of its index.
  if ! python3 - "$out" <<'PY'
import os, sys, struct, zlib
def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
root = sys.argv[1]
for d, _, files in os.walk(root):
    if "/c/" not in d + "/": continue
    for f in files:
        if f.startswith("."): continue   # temporary files are never read
        b = open(os.path.join(d, f), "rb").read()
        meta = open(os.path.join(d.split("/c/")[0], "zarr.json")).read() if os.path.exists(os.path.join(d.split("/c/")[0], "zarr.json")) else None
        # chunks per shard: from the array metadata when written, else try the recipe's tilesPerShard
        for n in (256, 128, 64, 4):
            if len(b) >= n * 16 + 4 and crc32c(b[-(n * 16 + 4):-4]) == struct.unpack("<I", b[-4:])[0]:
                break
        else:
            print("half-written shard:", os.path.join(d, f)); sys.exit(1)
PY
  then bad=$((bad + 1)); fi
  if [ -d "$out" ]; then
    "$medsr" build "${args[@]}" --out "$out" --resume > /dev/null 2>&1
  else
    "$medsr" build "${args[@]}" --out "$out" > /dev/null 2>&1
  fi
  if ( cd "$out" && find . -type f -print0 | sort -z | xargs -0 sha256sum ) | cmp -s - "$work/ref.sum"; then
    echo "run $i: killed after ${delay} ms, resumed: identical"
  else
    echo "run $i: killed after ${delay} ms, resumed: DIFFERENT"; bad=$((bad + 1))
  fi
  rm -rf "$out"
done
echo "kill/resume: $runs runs, $bad failures"
[ "$bad" -eq 0 ]
