#!/usr/bin/env bash
# Restores the allow-list (Packages.csproj, beside this script) from NuGet into a private packages folder
# and has the runner host lay out, in HOST_DIR/packages, the net10.0 compile and run-time assemblies of
# every allowed package's dependency closure with a manifest (container/host/PackageLayout.cs).
#   bash container/packages/layout.sh HOST_DIR [NUGET_DIR]
# HOST_DIR holds a built runner host (sharpbox-host.dll and its refs/); NUGET_DIR (default: `nuget` beside
# HOST_DIR) receives the restored packages, which nothing ships. Run by
# scripts/setup.sh and by both images' build stage. Safe to run again: when the allow-list and the layout
# code (the host's dll, which a deterministic build changes only with its source) are unchanged since
# the last layout that finished, it does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
host=${1:?usage: layout.sh HOST_DIR [NUGET_DIR]}
host=$(cd "$host" && pwd)
nuget=${2:-$(dirname "$host")/nuget}
[ -f "$host/sharpbox-host.dll" ] || { echo "packages: no runner host in $host (build it first)" >&2; exit 1; }

# The stamp is written last by the host, inside the layout: a layout that failed half-way has none.
want=$(cat "$here/Packages.csproj" "$host/sharpbox-host.dll" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$host/packages/.stamp" 2>/dev/null)" = "$want" ]; then
  echo "packages: the layout matches Packages.csproj; restore skipped"
  exit 0
fi
dotnet restore "$here/Packages.csproj" --packages "$nuget" --nologo -v q
dotnet "$host/sharpbox-host.dll" packages-layout "$here/obj/project.assets.json" "$host/packages" "$want"
