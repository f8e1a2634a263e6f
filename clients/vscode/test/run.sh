#!/usr/bin/env bash
# ctest's vscode/unit: type-checks the extension, runs its unit tests
# (node --test on the compiled JS) and packages cadre.vsix with vsce.
# Exit 77 (skip) when the npm packages are not installed (scripts/bootstrap).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x node_modules/.bin/vsce ] || [ ! -x node_modules/.bin/esbuild ]; then
  echo "SKIP: clients/vscode/node_modules is not installed; run scripts/bootstrap"
  exit 77
fi
npm run --silent check
ls -l cadre.vsix
