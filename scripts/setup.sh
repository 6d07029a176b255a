#!/usr/bin/env bash
# Sets up everything sharpbox needs on a fresh Debian 12 machine with Node 20 and the .NET 10 SDK:
# the sandbox's system packages, the npm dependencies (exact versions from package-lock.json), the .NET
# runner host (container/host, restored from NuGet) and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# command → Debian package
declare -A needs=(
  [bwrap]=bubblewrap   # the sandbox
  [tini-static]=tini   # pid 1 inside each sandbox
  [prlimit]=util-linux # rlimits
  [setpriv]=util-linux # drop to the slot's uid
  [kill]=procps        # the end-of-run sweep
  [redis-server]=redis-server # the shared store (STORE_URL=redis://…), and the tests of it
  [chromium]=chromium  # the dashboard's tests drive Debian's Chromium (never a downloaded browser)
)
missing=()
for cmd in "${!needs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/bin/$cmd" ] || missing+=("${needs[$cmd]}")
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
  command -v "$tool" >/dev/null || { echo "setup: $tool is required (Node 20 and the .NET 10 SDK)" >&2; exit 1; }
done

npm ci --no-audit --no-fund --loglevel=error
dotnet build container/host -c Release -o container/bin/host --nologo -v q -clp:ErrorsOnly -nologo
npm run --silent build
echo "setup: done"
