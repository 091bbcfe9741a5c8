#!/usr/bin/env bash
# Type-checks the generated dashboards (../*.json by default, or the
# directories given) against @grafana/schema. Installs the npm packages
# pinned by package-lock.json (npm ci); node_modules is not committed.
# Runs the checker's self-test first, so a checker that accepts anything fails.
set -euo pipefail
dirs=()
for d in "$@"; do dirs+=("$(cd "$d" && pwd)"); done
cd "$(dirname "$0")"
# Reinstall whenever the lock file differs from the one node_modules was
# installed from: a leftover or half-installed node_modules must not be used.
stamp=node_modules/.golive-package-lock.json
if ! cmp -s package-lock.json "$stamp"; then
  npm ci --silent --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
node check.mjs --self-test
if [ ${#dirs[@]} -eq 0 ]; then
  dirs=(..)
fi
exec node check.mjs "${dirs[@]}"
