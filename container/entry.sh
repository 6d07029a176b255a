#!/bin/sh
# Entry of the sandbox image (the `aci` backend): in-container limits, then the runner host in the mode
# the service chose. The image sets no USER: ACI starts a container as root, as an image without one
# runs, and worker mode needs root to give each run a user of its own.
#   oneshot  one run per container (a cold run, or a warm-pool member waiting for its assignment; see
#            host/OneShot.cs). Host and program share one unprivileged user, so RLIMIT_NPROC holds: the
#            sandbox user 10001, dropped to here when started as root (`docker run --user 10001` starts
#            it there already). ACI's own cgroup caps CPU and memory, and the group is deleted after the run.
#   worker   many runs, one after another (host/Worker.cs), each as a uid of its own with its own
#            RLIMIT_NPROC and RLIMIT_FSIZE (set per run by the host); here only what holds for the worker
#            itself.
#
# Every limit comes from the service (src/runner/backends/aci/containerEnv.ts), never from a default
# here that could drift from what users are told: a missing one ends the container with 78 (EX_CONFIG),
# which the service reports as an image that does not match it.
#   SHARPBOX_MODE             oneshot | worker
#   SHARPBOX_CONTAINER_TASKS  oneshot: RLIMIT_NPROC of the whole container, the host's tasks plus the
#                             program's (the host gives the program only its own SHARPBOX_MAX_PROCESSES)
#   SHARPBOX_FILE_BYTES       RLIMIT_FSIZE: the largest file the program may write (a worker sets it per run)
set -eu
for name in SHARPBOX_MODE SHARPBOX_CONTAINER_TASKS SHARPBOX_FILE_BYTES; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "sharpbox: $name is not set; the service sets every limit (src/runner/backends/aci/containerEnv.ts), so this image does not match it" >&2
    exit 78
  fi
done
host=${SHARPBOX_HOST_DLL:-/sharpbox/host/sharpbox-host.dll}
# The image's sandbox user (Dockerfile) for one-shot mode.
sandbox_user=10001

case "$SHARPBOX_MODE" in
  oneshot)
    set -- prlimit --nproc="$SHARPBOX_CONTAINER_TASKS" --nofile=1024 --fsize="$SHARPBOX_FILE_BYTES" --core=0 \
      -- dotnet "$host" oneshot
    if [ "$(id -u)" -eq 0 ]; then
      # To the sandbox user with nothing of root's kept: no groups, no capabilities in any set (the
      # bounding set too, so none can be regained), no_new_privs (a setuid binary grants nothing).
      set -- setpriv --reuid="$sandbox_user" --regid="$sandbox_user" --clear-groups --no-new-privs \
        --bounding-set=-all --inh-caps=-all --ambient-caps=-all -- "$@"
    fi
    exec "$@"
    ;;
  worker)
    if [ "$(id -u)" -ne 0 ]; then
      echo "sharpbox: worker mode needs root in the container, to give each run its own user (uid $(id -u) here); start the image without --user" >&2
      exit 78
    fi
    # RLIMIT_NPROC and RLIMIT_FSIZE are not the worker's: it sets them on each run's own uid (a root
    # process is not held by RLIMIT_NPROC anyway). Open files and core dumps are capped for all.
    exec prlimit --nofile=1024 --core=0 -- dotnet "$host" worker
    ;;
  *)
    echo "sharpbox: SHARPBOX_MODE is '$SHARPBOX_MODE', not oneshot or worker; the service sets it (src/runner/backends/aci/containerEnv.ts), so this image does not match it" >&2
    exit 78
    ;;
esac
