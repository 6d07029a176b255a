#!/usr/bin/env bash
# Sets up everything sharpbox needs on a fresh Debian 12 machine with Node 20 and the .NET 10 SDK:
# the sandbox's system packages, the npm dependencies (exact versions from package-lock.json), the .NET
# runner host (container/host, restored from NuGet), the packages snippets may use (container/packages)
# and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# program → Debian package
declare -A needs=(
  [bwrap]=bubblewrap   # the sandbox
  [tini-static]=tini   # pid 1 inside each sandbox
  [prlimit]=util-linux # rlimits
  [setpriv]=util-linux # drop to the slot's uid
  [bash]=bash          # the launcher's first step (closes stray descriptors)
  [kill]=procps        # the end-of-run sweep
  [redis-server]=redis-server # the shared store (STORE_URL=redis://…), and the tests of it
  [chromium]=chromium  # the dashboard's tests drive Debian's Chromium (never a downloaded browser)
  # The SQLite binding (@keyv/sqlite → sqlite3) compiles from source when no prebuilt binary can be
  # fetched, which is always the case without internet access.
  [g++]=g++
  [make]=make
  [python3]=python3
)
# A program on disk, as the service looks for it (src/runner/backends/local/tools.ts): not a shell
# builtin (bash's own `kill` would satisfy `command -v kill` where procps is missing).
on_disk() {
  local dir
  for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    [ -f "$dir/$1" ] && [ -x "$dir/$1" ] && return 0
  done
  return 1
}
missing=()
for cmd in "${!needs[@]}"; do
  on_disk "$cmd" || missing+=("${needs[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for tool in node npm dotnet; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required (Node 20 or newer and the .NET 10 SDK)" >&2; exit 1; }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node $(node --version) is too old: sharpbox needs Node 20 or newer" >&2
  exit 1
fi
if ! dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then
  echo "setup: the .NET 10 SDK is required (dotnet --list-sdks shows: $(dotnet --list-sdks 2>/dev/null | cut -d' ' -f1 | tr '\n' ' '))" >&2
  exit 1
fi

# npm ci always deletes node_modules and installs again (minutes here: the SQLite binding compiles from
# source), so it runs only when the lock file or Node's ABI changed since the last install that
# finished. The stamp lives inside node_modules, which npm ci removes first: an install that fails
# half-way leaves no stamp, and the next run installs again.
stamp=node_modules/.sharpbox-setup-stamp
want="$(sha256sum package-lock.json | cut -d' ' -f1) node-abi-$(node -p process.versions.modules)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  echo "setup: node_modules matches package-lock.json; npm ci skipped"
fi
dotnet publish container/host -c Release -o container/bin/host --nologo -v q -clp:ErrorsOnly -nologo
# The allowed packages (container/packages/Packages.csproj), restored from NuGet and laid out beside the
# host; skipped when nothing changed since the last layout.
bash container/packages/layout.sh container/bin/host
npm run --silent build
echo "setup: done"
