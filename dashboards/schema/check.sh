#!/usr/bin/env bash
# Type-checks the generated dashboards (../*.json by default, or the
# directories given) against @grafana/schema. Installs the pinned npm
# packages on first use; node_modules is not committed.
# Runs the checker's self-test first, so a checker that accepts anything fails.
set -euo pipefail
dirs=()
for d in "$@"; do dirs+=("$(cd "$d" && pwd)"); done
cd "$(dirname "$0")"
if [ ! -d node_modules/@grafana/schema ] || [ ! -d node_modules/typescript ]; then
  npm ci --silent --no-audit --no-fund
fi
node check.mjs --self-test
if [ ${#dirs[@]} -eq 0 ]; then
  dirs=(..)
fi
exec node check.mjs "${dirs[@]}"
