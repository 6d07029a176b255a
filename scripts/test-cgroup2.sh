#!/usr/bin/env bash
# The cgroup v2 tests (test/cgroup2/), inside a VM whose kernel mounts cgroup v2 only: this machine kind
# mounts v1, and the hosts people deploy on are v2. The VM (../shared/tools/cgroup2-vm, read its README)
# boots Debian's kernel over this machine's own files, under emulation: slow, so the set is small.
set -euo pipefail
cd "$(dirname "$0")/.."
vm=""
for candidate in "${CGROUP2_VM:-}" ../shared/tools/cgroup2-vm/run /work/shared/tools/cgroup2-vm/run; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then vm=$candidate; break; fi
done
if [ -z "$vm" ]; then
  echo "test:cgroup2: the cgroup v2 VM tool was not found (set CGROUP2_VM to its run script)" >&2
  exit 1
fi
npm run --silent build
# The test's own deadlines are scaled for emulation; the VM's outer one bounds everything else.
exec "$vm" --timeout 2700 --mem 4096 --cpus 2 -- 'node --test --test-concurrency=1 --test-timeout=2400000 dist/test/cgroup2/*.test.js'
