#!/usr/bin/env bash
# `npm run mutate`: both groups of stryker.config.mjs, one after the other; each prints its score table.
set -euo pipefail
cd "$(dirname "$0")/.."
for group in runner bot; do
  echo "== mutation testing: $group"
  SHARPBOX_MUTATE=$group npx stryker run
done
