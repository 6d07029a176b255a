#!/usr/bin/env bash
# The tests Stryker runs against each mutant of one group (stryker.config.mjs): only the unit tests of
# the files it mutates, already built by its buildCommand, so a mutant costs a few seconds rather than
# the five-minute suite. A mutant that none of these catches is a behaviour the unit tests do not pin down.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  runner) tests=(classify bwrapArgs results waitWords execSandbox admission fairRunner) ;;
  bot) tests=(botRender botRenderExact botRenderProperty sanitize) ;;
  *) echo "usage: $0 runner|bot" >&2; exit 2 ;;
esac
# Each property of botRenderProperty.test.ts on 300 cases rather than 10,000 (12 s a mutant otherwise):
# a mutant that breaks a limit breaks it on most inputs.
export SHARPBOX_PROPERTY_RUNS=300
exec node --test --test-concurrency=4 $(printf "dist/test/unit/%s.test.js " "${tests[@]}")
