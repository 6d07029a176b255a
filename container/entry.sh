#!/bin/sh
# Entry of the sandbox image (the `aci` backend): in-container limits, then the runner host in one-shot
# mode (download, compile, run, upload the facts; see host/OneShot.cs). The container itself runs as an
# unprivileged user, so RLIMIT_NPROC holds; ACI's own cgroup caps CPU and memory, and the group is
# deleted after the run.
set -eu
exec prlimit \
  --nproc="${SHARPBOX_MAX_PROCESSES:-256}" \
  --nofile=1024 \
  --fsize="${SHARPBOX_FILE_BYTES:-67108864}" \
  --core=0 \
  -- dotnet "${SHARPBOX_HOST_DLL:-/sharpbox/host/sharpbox-host.dll}" oneshot
