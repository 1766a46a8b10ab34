#!/usr/bin/env bash
# Builds the extension and packages it as a .vsix (offline: vsce needs no network).
#   editors/vscode/scripts/package.sh [--target PLATFORM --server BIN] [OUT.vsix]
# Output: editors/vscode/tinybird-lsp-<version>[-PLATFORM].vsix unless OUT is given; its path is
# printed. The .vsix holds the bundled extension (vscode-languageclient included), the grammar,
# icons and language configuration. Without --target it is universal and finds the server on
# PATH (`pip install tinybird-lsp`, `cargo install --locked --path .`); with --target (a VS Code
# platform: linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64, ...) and --server (the
# tinybird-lsp executable built for that platform) the server goes inside, in server/, and the
# extension uses it unless tinybird.server.path says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
target=""
server=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --server) server="$2"; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) out="$1"; shift ;;
  esac
done
if [ -n "$target" ] && [ -z "$server" ]; then
  echo "--target needs --server BIN (the tinybird-lsp executable for $target)" >&2
  exit 2
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
npm run --silent build >&2
npm run --silent typecheck >&2
version=$(node -p 'require("./package.json").version')
rm -rf server
args=()
if [ -n "$target" ]; then
  mkdir -p server
  exe=tinybird-lsp
  case "$target" in win32-*) exe=tinybird-lsp.exe ;; esac
  cp "$server" "server/$exe"
  chmod 755 "server/$exe"
  # Debug information is for developers (the release profile keeps it): not shipped. A binary
  # of another architecture that this strip cannot read is shipped as it is.
  strip "server/$exe" 2>/dev/null || true
  args=(--target "$target")
  out="${out:-tinybird-lsp-$version-$target.vsix}"
fi
out="${out:-tinybird-lsp-$version.vsix}"
cp ../../LICENSE LICENSE 2>/dev/null || true
trap 'rm -rf server' EXIT
npx vsce package "${args[@]}" --no-dependencies --allow-missing-repository --skip-license --out "$out" >&2
echo "$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
