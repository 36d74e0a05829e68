#!/usr/bin/env bash
# Installs medsr under PREFIX: the executable into PREFIX/bin, the recipes into
# PREFIX/share/medsr/Manifests (where an installed medsr looks for recipes by name).
# Usage: Tools/install.sh BINARY PREFIX
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BINARY PREFIX" >&2; exit 2; }
binary=$1 prefix=$2
root=$(cd "$(dirname "$0")/.." && pwd)
install -d "$prefix/bin" "$prefix/share/medsr/Manifests"
install -m 755 "$binary" "$prefix/bin/medsr"
install -m 644 "$root"/Manifests/*.json "$prefix/share/medsr/Manifests/"
# The page medsr serve shows (found beside the binary as ../share/medsr/Web).
install -d "$prefix/share/medsr/Web"
install -m 644 "$root"/Sources/MedServe/Web/* "$prefix/share/medsr/Web/"
echo "installed $prefix/bin/medsr and $(ls "$root"/Manifests/*.json | wc -l) recipes in $prefix/share/medsr/Manifests"
