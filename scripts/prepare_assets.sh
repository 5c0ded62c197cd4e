#!/usr/bin/env bash
# Install the web app's front-end packages from the npm registry (at setup, never at run time)
# and copy what the app serves into src/wardeye/web/static/vendor/ (git-ignored).
# Safe to run again: npm ci is skipped while web/node_modules matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
web=web
vendor=src/wardeye/web/static/vendor
log() { printf '\033[1m[assets]\033[0m %s\n' "$*"; }

command -v npm >/dev/null || { echo "npm is required (apt-get install npm)" >&2; exit 1; }
stamp="$web/node_modules/.wardeye-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$web/package-lock.json" "$stamp"; then
  log "npm ci in $web"
  npm ci --prefix "$web" --no-audit --no-fund --loglevel=error
  cp "$web/package-lock.json" "$stamp"
fi

leaflet="$web/node_modules/leaflet/dist"
[ -f "$leaflet/leaflet.js" ] || { echo "leaflet missing in $leaflet" >&2; exit 1; }
rm -rf "$vendor.tmp"
mkdir -p "$vendor.tmp/leaflet"
cp "$leaflet/leaflet.js" "$leaflet/leaflet.css" "$vendor.tmp/leaflet/"
cp -r "$leaflet/images" "$vendor.tmp/leaflet/"
cp "$web/node_modules/leaflet/LICENSE" "$vendor.tmp/leaflet/LICENSE"
rm -rf "$vendor"
mv "$vendor.tmp" "$vendor"
log "vendor assets in $vendor: $(cd "$vendor" && find . -type f | wc -l) files"
