#!/usr/bin/env bash
# wrk against `medsr serve` on loopback: the tile endpoint (bicubic tiles, cycling over the
# split's tiles) and the compare endpoint (PSNR/SSIM of bicubic and sharpened for one tile),
# SECONDS each (default 30), with the server's RSS before and after.
# Usage: Tools/serve/load.sh MEDSR ROOT [SECONDS] [CONNECTIONS]
set -euo pipefail
medsr=$(realpath "$1"); root=$2; seconds=${3:-30}; conns=${4:-8}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
log=$(mktemp); lua=$(mktemp --suffix=.lua)
"$medsr" serve --root "$root" --port 0 > "$log" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log" "$lua"' EXIT
for _ in $(seq 1 100); do grep -q "^medsr serve: http" "$log" && break; sleep 0.1; done
url=$(sed -n 's/^medsr serve: //p' "$log" | head -1); base=${url%%\?*}; token=${url##*token=}
ds=$(curl -s -H "Authorization: Bearer $token" "${base}api/datasets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["datasets"][0]["id"])')
n=$(curl -s -H "Authorization: Bearer $token" "${base}api/dataset?id=$ds" | python3 -c 'import json,sys; print([s["tiles"] for s in json.load(sys.stdin)["splits"] if s["name"]=="train"][0])')
cat > "$lua" <<LUA
local i = 0
request = function()
  i = (i + 1) % $n
  return wrk.format("GET", "/api/tile.png?id=$ds&split=train&index=" .. i .. "&kind=bicubic&scale=4")
end
LUA
rss() { awk '/VmRSS/ {print $2 " kB"}' /proc/$pid/status; }
echo "server pid $pid, dataset $ds ($n train tiles), $conns connections, ${seconds}s each"
echo "RSS at start: $(rss)"
echo "== tile endpoint (bicubic PNG, zoom 1)"
wrk -t2 -c"$conns" -d"${seconds}s" --latency -H "Authorization: Bearer $token" -s "$lua" "$base"
echo "RSS after tiles: $(rss)"
echo "== compare endpoint (metrics of one tile)"
wrk -t2 -c"$conns" -d"${seconds}s" --latency -H "Authorization: Bearer $token" "${base}api/compare?id=$ds&split=train&index=1&scale=4"
echo "RSS after compare: $(rss)"
