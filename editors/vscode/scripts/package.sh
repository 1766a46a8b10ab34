#!/usr/bin/env bash
# Builds the extension and packages it as a .vsix (offline: vsce needs no network).
#   editors/vscode/scripts/package.sh [OUT.vsix]
# Output: editors/vscode/tinybird-lsp-<version>.vsix unless OUT is given. The .vsix holds the
# bundled extension (vscode-languageclient included), the grammar, icons and language
# configuration; the server binary is installed separately (`cargo install --locked --path .`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
npm run --silent build >&2
npm run --silent typecheck >&2
version=$(node -p 'require("./package.json").version')
out="${1:-tinybird-lsp-$version.vsix}"
cp ../../LICENSE LICENSE 2>/dev/null || true
npx vsce package --no-dependencies --allow-missing-repository --skip-license --out "$out" >&2
echo "$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
