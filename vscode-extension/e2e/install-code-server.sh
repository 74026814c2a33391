#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, runs on node 20) from the npm
# registry into a cache folder, as /work/shared/reference/editor-clients.md
# describes. Idempotent: does nothing when the cached install is complete.
# Usage: install-code-server.sh CACHE_DIR
set -euo pipefail
VERSION=4.100.3
CACHE=${1:?cache dir}
DEST="$CACHE/code-server-$VERSION"
if [ -f "$DEST/.complete" ]; then
  exit 0
fi
command -v rg >/dev/null || { echo "install-code-server: ripgrep (rg) is missing" >&2; exit 1; }
rm -rf "$DEST" "$DEST.tmp"
mkdir -p "$DEST.tmp"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export XDG_CONFIG_HOME="$WORK/xdg/config" XDG_DATA_HOME="$WORK/xdg/data" \
       XDG_CACHE_HOME="$WORK/xdg/cache" XDG_STATE_HOME="$WORK/xdg/state"
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
# @vscode/ripgrep's postinstall would ask api.github.com for a binary: seed its
# download cache with Debian's rg.
RGC="$TMPDIR/vscode-ripgrep-cache-1.15.11"
mkdir -p "$RGC" "$WORK/rg"
cp "$(command -v rg)" "$WORK/rg/rg"
tar -czf "$RGC/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$WORK/rg" rg
# node-pty's postinstall runs `npx node-gyp`.
export npm_config_yes=true
(cd "$WORK" && npm pack --silent "code-server@$VERSION" >/dev/null)
tar -xzf "$WORK/code-server-$VERSION.tgz" -C "$DEST.tmp"
(cd "$DEST.tmp/package" && npm install --omit=dev --unsafe-perm --no-audit --no-fund --loglevel=error)
mv "$DEST.tmp" "$DEST"
touch "$DEST/.complete"
echo "install-code-server: code-server $VERSION in $DEST"
