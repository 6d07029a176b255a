#!/usr/bin/env bash
# Builds both images from the real Dockerfiles: the sandbox image (container/) as sharpbox-sandbox:test and
# the service image as sharpbox:test. Their bases come from SDK_IMAGE, RUNTIME_IMAGE and NODE_IMAGE, which
# default to the local stand-ins of scripts/docker-bases.sh (built first if missing); set all three to
# the official images where a registry is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."

sdk=${SDK_IMAGE:-local/sdk:10.0}
runtime=${RUNTIME_IMAGE:-local/runtime:10.0}
node=${NODE_IMAGE:-local/node:20}
case "$sdk $runtime $node" in
  *local/*) bash scripts/docker-bases.sh ;;
  *) bash scripts/docker-engine.sh ;;
esac

# --network host: the builds fetch from NuGet, npm and Debian through this machine's own network (there
# is no default bridge here; see scripts/docker-engine.sh).
build() {
  local tag=$1 dir=$2 started=$SECONDS log="${TMPDIR:-/tmp}/sharpbox-docker-build-${1%%:*}.log"
  shift 2
  # The label tells the bench which base the size it prints was measured on.
  # Each line of the log stamped with the time, so a slow step can be found afterwards.
  docker build --network host --force-rm -t "$tag" --label "sharpbox.runtime-base=$runtime" \
    --build-arg "SDK_IMAGE=$sdk" --build-arg "RUNTIME_IMAGE=$runtime" "$@" "$dir" 2>&1 |
    while IFS= read -r line; do printf '%(%T)T %s\n' -1 "$line"; done >"$log" ||
    { tail -n 40 "$log" >&2; echo "docker-build: $tag failed (whole log: $log)" >&2; return 1; }
  echo "docker-build: $tag built in $((SECONDS - started)) s ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}'))"
}
build sharpbox-sandbox:test container
build sharpbox:test . --build-arg "NODE_IMAGE=$node" --build-arg "NPM_REGISTRY=$(npm config get registry)"
