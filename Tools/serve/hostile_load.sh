#!/usr/bin/env bash
# 50 concurrent uploads of a hostile file (a MATLAB v7.3 file that crashes libhdf5) while wrk reads
# tiles: every upload answer must be 422 (unreadable) or 503 (queue full), the tiles keep coming,
# and the server is still up afterwards. Usage: Tools/serve/hostile_load.sh MEDSR ROOT
set -euo pipefail
medsr=$(realpath "$1"); root=$2
fx=$(cd "$(dirname "$0")/../../Fixtures" && pwd)
log=$(mktemp); codes=$(mktemp)
"$medsr" serve --root "$root" --port 0 --jobs 2 > "$log" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log" "$codes"' EXIT
for _ in $(seq 1 100); do grep -q "^medsr serve: http" "$log" && break; sleep 0.1; done
url=$(sed -n 's/^medsr serve: //p' "$log" | head -1); base=${url%%\?*}; token=${url##*token=}
ds=$(curl -s -H "Authorization: Bearer $token" "${base}api/datasets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["datasets"][0]["id"])')
wrk -t1 -c4 -d15s -H "Authorization: Bearer $token" "${base}api/tile.png?id=$ds&split=train&index=0&kind=bicubic&scale=4" > "$log.wrk" &
wrk_pid=$!
for i in $(seq 1 50); do
  curl -s -o /dev/null -w "%{http_code}\n" -H "Authorization: Bearer $token" --data-binary @"$fx/mat/hostile/hdf5_stab_crash.mat" "${base}api/upload?name=h$i.mat" >> "$codes" &
done
wait $wrk_pid
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
echo "upload answers: $(sort "$codes" | uniq -c | tr '\n' ' ')"
grep -E "Requests/sec|Non-2xx|requests in" "$log.wrk"; rm -f "$log.wrk"
echo "server still answers: $(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $token" "${base}api/status"); RSS $(awk '/VmRSS/ {print $2 " kB"}' /proc/$pid/status)"
