#!/usr/bin/env bash
# Local stand-ins for the base images the Dockerfiles name, for a machine that reaches no container
# registry but does reach Debian's packages (shared/research/docker-here.md):
#   local/debian:bookworm  debootstrap --variant=minbase from this machine's Debian mirror, with its apt sources
#   local/runtime:10.0     for mcr.microsoft.com/dotnet/runtime:10.0-noble: this machine's .NET runtime only
#                          (muxer, hostfxr, Microsoft.NETCore.App), `dotnet` at /usr/bin/dotnet
#   local/sdk:10.0         for mcr.microsoft.com/dotnet/sdk:10.0-noble: this machine's whole /usr/share/dotnet,
#                          its NuGet.Config and offline certificate revocation, so a restore works as here
#   local/node:20          for node:20-bookworm: this machine's node and npm in /usr/local, Node's headers,
#                          and the compilers a native module (sqlite3) builds with
# A stand-in whose tag exists is not built again; --force rebuilds them all.
set -euo pipefail
cd "$(dirname "$0")/.."

force=false
[ "${1:-}" = "--force" ] && force=true
bash scripts/docker-engine.sh

work=$(mktemp -d /var/tmp/sharpbox-bases.XXXXXX)
cleanup() {
  # debootstrap mounts /proc and /sys inside the root it builds; unmount anything left before removing it.
  grep -o " $work/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

have() { ! $force && docker image inspect "$1" >/dev/null 2>&1; }
timed() {
  local started=$SECONDS
  "$@"
  echo "docker-bases: $2 built in $((SECONDS - started)) s"
}
# docker build with the context as a tar on stdin; the output goes to a log, shown when it fails.
build_tar() {
  local log="$work/build-${1//[:\/]/_}.log"
  docker build --network host --force-rm -t "$1" - >"$log" 2>&1 || { tail -n 40 "$log" >&2; echo "docker-bases: $1 failed" >&2; return 1; }
}

# The Debian mirror this machine's apt uses, from deb822 (.sources) or one-line (.list) entries.
debian_mirror() {
  local uri
  uri=$(sed -n 's#^URIs:[[:space:]]*\([^[:space:]]*/debian\)/\{0,1\}[[:space:]]*$#\1#p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  [ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed -n 's#^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*/debian\)/\{0,1\}[[:space:]]\+bookworm[[:space:]].*#\2#p' | head -n1)
  [ -n "$uri" ] || { echo "docker-bases: no Debian mirror found in /etc/apt/sources.list{,.d}" >&2; return 1; }
  echo "$uri"
}

build_debian() {
  local tag=$1 rootfs="$work/rootfs" mirror host
  mirror=$(debian_mirror)
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; return 1; }
  # Builds on this base run `apt-get install`: give it the same sources as this machine (every entry on
  # the same mirror host, so the security suite too) and the apt settings that reaching them needs
  # (proxies, credentials, a mirror's stale Valid-Until).
  host=$(echo "$mirror" | sed 's#^[a-z]*://\([^/]*\).*#\1#')
  rm -f "$rootfs/etc/apt/sources.list"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && grep -q -F "$host" "$f" && cp "$f" "$rootfs/etc/apt/sources.list.d/host-$(basename "$f")"
  done
  for f in /etc/apt/apt.conf.d/*; do
    grep -q -E -i 'Acquire::([a-z]+::)?proxy|Check-Valid-Until|Check-Date' "$f" && cp "$f" "$rootfs/etc/apt/apt.conf.d/"
  done
  # What Debian's and Ubuntu's official images carry (debuerreotype): no .deb files or package caches
  # left in a layer after `apt-get install`, so sizes measured on these stand-ins mean something.
  cp /etc/apt/apt.conf.d/docker-* "$rootfs/etc/apt/apt.conf.d/" 2>/dev/null ||
    printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
      'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$rootfs/etc/apt/apt.conf.d/docker-clean"
  [ -d /etc/apt/auth.conf.d ] && cp -r /etc/apt/auth.conf.d/. "$rootfs/etc/apt/auth.conf.d/"
  # This machine's own certificate authorities (its registries are reached through them): the stand-ins
  # that install ca-certificates add them to the system store, as update-ca-certificates does here.
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  cp -r /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["/bin/bash"]' - "$tag" >/dev/null
}

# What the official .NET images install for the runtime (runtime-deps), bookworm's names.
DOTNET_DEPS='ca-certificates libicu72 libssl3 tzdata'

build_runtime() {
  local tag=$1 ctx="$work/runtime"
  mkdir -p "$ctx"
  cat >"$ctx/Dockerfile" <<EOF
FROM local/debian:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $DOTNET_DEPS \\
 && rm -rf /var/lib/apt/lists/* \\
 && groupadd --gid 1654 app && useradd --uid 1654 --gid 1654 --create-home app
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_RUNNING_IN_CONTAINER=true APP_UID=1654
EOF
  # The runtime alone, not the SDK, so the images built on it weigh what they would on the real base.
  tar -c -C "$ctx" Dockerfile -C /usr/share dotnet/dotnet dotnet/host dotnet/shared/Microsoft.NETCore.App \
    dotnet/LICENSE.txt dotnet/ThirdPartyNotices.txt | build_tar "$tag"
}

build_sdk() {
  local tag=$1 ctx="$work/sdk"
  mkdir -p "$ctx"
  cp ~/.nuget/NuGet/NuGet.Config "$ctx/NuGet.Config"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM local/runtime:10.0
COPY dotnet/ /usr/share/dotnet/
COPY NuGet.Config /root/.nuget/NuGet/NuGet.Config
# This machine's NuGet source cannot be checked for certificate revocation online.
ENV NUGET_CERT_REVOCATION_MODE=offline DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_GENERATE_ASPNET_CERTIFICATE=false DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=true
EOF
  tar -c -C "$ctx" Dockerfile NuGet.Config -C /usr/share dotnet | build_tar "$tag"
}

build_node() {
  local tag=$1 ctx="$work/node" node prefix npm_dir
  node=$(readlink -f "$(command -v node)")
  prefix=$(dirname "$(dirname "$node")")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$ctx/bin" "$ctx/lib/node_modules" "$ctx/include"
  cp "$node" "$ctx/bin/node"
  cp -r "$npm_dir" "$ctx/lib/node_modules/npm"
  cp -r "$prefix/include/node" "$ctx/include/node"
  # This machine's npm cache (filled by setup.sh's npm ci): the build's npm ci takes the same tarballs,
  # checked by their lockfile integrity, from it instead of downloading them all again.
  mkdir -p "$ctx/npm"
  [ -d ~/.npm/_cacache ] && cp -r ~/.npm/_cacache "$ctx/npm/_cacache"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM local/debian:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
COPY bin/node /usr/local/bin/node
COPY lib/ /usr/local/lib/
COPY include/ /usr/local/include/
COPY npm/ /root/.npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
# node-gyp would download Node's headers from nodejs.org, which this machine cannot reach; they are here.
# Node trusts only its own CA list unless told: add the system store, as this machine does.
ENV npm_config_nodedir=/usr/local NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
EOF
  tar -c -C "$ctx" . | build_tar "$tag"
}

have local/debian:bookworm || timed build_debian local/debian:bookworm
# The .NET pair and the Node stand-in side by side: each waits mostly on the network and the disk. Both
# are waited for whatever happens, so neither is still writing in $work when it is removed.
{
  have local/runtime:10.0 || timed build_runtime local/runtime:10.0
  have local/sdk:10.0 || timed build_sdk local/sdk:10.0
} &
dotnet_pair=$!
{ have local/node:20 || timed build_node local/node:20; } &
node_one=$!
failed=0
wait "$dotnet_pair" || failed=1
wait "$node_one" || failed=1
[ "$failed" -eq 0 ] || exit 1
docker run --rm --network none local/runtime:10.0 dotnet --list-runtimes
docker run --rm --network none local/node:20 node --version
