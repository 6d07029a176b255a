#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine: installs Debian's docker.io and debootstrap if they
# are missing, and starts dockerd in the background if `docker info` does not answer (a machine of this
# kind runs no daemon of its own; /usr/local/bin/docker, if present, is only a client).
# See shared/research/docker-here.md.
set -euo pipefail

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "docker-engine: installing docker.io and debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi

log="${TMPDIR:-/tmp}/sharpbox-dockerd.log"
echo "docker-engine: starting dockerd (log: $log)"
# --bridge=none: this machine may send nothing to private address ranges, and the default bridge is one
# (172.17.0.0/16). Without it a container can only be on `--network none` or `--network host`, which is
# what the builds and tests use; anything else fails loudly instead of routing somewhere it must not.
# setsid and closed descriptors: the daemon outlives this script without holding the caller's pipes open.
setsid dockerd --bridge=none --iptables=false </dev/null >"$log" 2>&1 &

deadline=$((SECONDS + 60))
until docker info >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "docker-engine: dockerd did not answer within 60 s; the end of its log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  sleep 1
done
echo "docker-engine: dockerd is up"
