#!/usr/bin/env bash
# Measures which system calls the sandboxed processes make: tini (/sandbox/init, pid 1), the runner
# host's `exec` (the process that runs the user's code) and its `compile-server` (Roslyn). It runs C#
# programs through one real local runner under `strace -f` and keeps only the calls made under the
# sandbox's seccomp filter (see trace-syscalls/summarize.mjs). This is how the allow-list in
# src/runner/backends/local/seccomp.ts was measured; run it again after a .NET, glibc or kernel upgrade
# and compare with trace-syscalls/measured-x86_64.txt.
#
# usage (root, after `npm run build`):
#   scripts/trace-syscalls.sh [OUT_DIR] [FILE.cs...]
# Without files it runs every probe in scripts/trace-syscalls/programs (one area of .NET each). Output:
# OUT_DIR/summary.txt, one line per call with its count, callers, errors and the argument values the
# filter looks at; OUT_DIR/runs.txt, how each program ended; OUT_DIR/strace.log, the raw trace.
#
# Read the errors column: with the filter enforced (the default), a call it refuses still appears, with
# the errno it got (ENOSYS, EPERM, ENOLCK…), next to the fallback the runtime took (clone3 refused, then
# clone). A refusal in a program that then misbehaves is a candidate for the allow-list. With
# SANDBOX_SECCOMP=log nothing is refused, so the trace shows what the runtime asks for when it gets it,
# and `dmesg` lists each call the filter would have refused (audit: type=1326 … syscall=N; without
# auditd, `sysctl kernel.printk_ratelimit=0` first, or most of those lines are dropped).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/sharpbox-trace}"
shift || true
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(scripts/trace-syscalls/programs/*.cs)
mkdir -p "$out"
log="$out/strace.log"
echo "trace-syscalls: ${#files[@]} programs → $log" >&2
# --pidns-translation: clone() inside the sandbox returns pids of the sandbox's pid namespace; strace
# adds the host pid, which is what ties a thread to its process in the log.
COMPILE_TIMEOUT_MS=120000 RUN_TIMEOUT_MS=30000 COMPILE_WARMUP=true \
  strace -f --pidns-translation -qq -s 64 -o "$log" \
  node scripts/trace-syscalls/driver.mjs "${files[@]}" | tee "$out/runs.txt"
{
  echo "# Measured by scripts/trace-syscalls.sh on $(date -u +%Y-%m-%d): kernel $(uname -r), $(uname -m),"
  echo "# .NET runtime $(ls /usr/share/dotnet/shared/Microsoft.NETCore.App | paste -sd' '), SANDBOX_SECCOMP=${SANDBOX_SECCOMP:-enforce}."
  echo "# Programs: $(for f in "${files[@]}"; do basename "$f"; done | tr '\n' ' ')"
  echo "# Columns (tab-separated): call, times called, callers (init = tini, exec = runner host with the"
  echo "# user's code, compiler = compile server, child = a program the user's code started), errors, arguments."
  node scripts/trace-syscalls/summarize.mjs "$log"
} > "$out/summary.txt"
echo "trace-syscalls: $(grep -vc '^#' "$out/summary.txt") distinct calls → $out/summary.txt" >&2
