#!/bin/sh
# Entry of the sandbox image (the `aci` backend): in-container limits, then the runner host in one-shot
# mode (download, compile, run, upload the facts; see host/OneShot.cs). The container itself runs as an
# unprivileged user, so RLIMIT_NPROC holds; ACI's own cgroup caps CPU and memory, and the group is
# deleted after the run.
#
# Every limit comes from the service (src/runner/backends/aci/containerEnv.ts), never from a default
# here that could drift from what users are told: a missing one ends the container with 78 (EX_CONFIG),
# which the service reports as an image that does not match it.
#   SHARPBOX_CONTAINER_TASKS  RLIMIT_NPROC of the whole container: the host's tasks plus the program's
#                             (the host gives the program only its own SHARPBOX_MAX_PROCESSES)
#   SHARPBOX_FILE_BYTES       RLIMIT_FSIZE: the largest file the program may write
set -eu
for name in SHARPBOX_CONTAINER_TASKS SHARPBOX_FILE_BYTES; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "sharpbox: $name is not set; the service sets every limit (src/runner/backends/aci/containerEnv.ts), so this image does not match it" >&2
    exit 78
  fi
done
exec prlimit \
  --nproc="$SHARPBOX_CONTAINER_TASKS" \
  --nofile=1024 \
  --fsize="$SHARPBOX_FILE_BYTES" \
  --core=0 \
  -- dotnet "${SHARPBOX_HOST_DLL:-/sharpbox/host/sharpbox-host.dll}" oneshot
