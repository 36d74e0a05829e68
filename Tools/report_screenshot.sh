#!/usr/bin/env bash
# Render an HTML report in headless Chromium (Debian's `chromium`) to a PNG, to check it the way
# a person sees it. usage: report_screenshot.sh REPORT.html OUT.png [HEIGHT]
set -euo pipefail
report=$(realpath "$1"); out=$2; height=${3:-4000}
if ! command -v chromium >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "== installing chromium (Debian) for the report check"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# --no-sandbox: CI runs as root; the page is our own file and makes no network requests.
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,"$height" \
  --screenshot="$(realpath -m "$out")" "file://$report" 2>/dev/null
[ -s "$out" ] && echo "rendered $report → $out"
