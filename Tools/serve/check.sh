#!/usr/bin/env bash
# The browser check of `medsr serve`: installs what is missing (Debian chromium, chromium-driver;
# selenium in a venv), makes a root from the fixtures and runs browser_check.py.
# Usage: Tools/serve/check.sh MEDSR [OUT_DIR]
set -euo pipefail
medsr=$(realpath "$1"); out=${2:-.build/serve-check}
here=$(cd "$(dirname "$0")" && pwd)
missing=""
for p in chromium chromium-driver; do dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "== installing$missing (Debian) for the browser check"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
venv=.build/venv-serve
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q selenium; }
mkdir -p "$out"
bash "$here/make_root.sh" "$medsr" "$out/root"
"$venv/bin/python" "$here/browser_check.py" "$medsr" "$out/root" "$here/../../Fixtures/png/nih/images/00000001_000.png" "$out/shots"
