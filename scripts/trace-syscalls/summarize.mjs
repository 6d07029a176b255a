// Reads one `strace -f --pidns-translation` log of the whole service and prints the system calls made
// inside the sandboxes only: by each process that exec'd /sandbox/init (from that execve on: before it,
// the process is still bwrap, which installs the seccomp filter right before the exec) and by all of
// its descendants (the runner host's dotnet and its threads). Each line: the call, how many calls, and
// which sandboxed programs made it (init = tini, exec = the runner host running user code, compiler =
// the compile server, child = a program the user's code started), and the distinct values of the arguments the filter looks at (ioctl request, fcntl command, prctl option,
// socket domain/type/protocol, clone flags, seccomp operation, …).
// usage: node summarize.mjs STRACE_LOG
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8').split('\n');
const LINE = /^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*)$/;
const CHILD = /= (\d+)(?: \/\* (\d+) in strace's PID NS \*\/)?$/;

// Pass 1: who started whom (children of clone/fork, translated to host pids), where init begins.
const parent = new Map();
const pending = new Map(); // pid -> syscall name of an unfinished clone
const initStart = new Map(); // pid -> line index where the filter starts to apply to it
const seccompAt = new Map(); // pid -> the line after its last prctl(PR_SET_SECCOMP)
const execs = new Map(); // pid -> [line index, role] for each execve it made
const roleOfExec = (line) =>
  line.includes('execve("/sandbox/init"')
    ? 'init'
    : line.includes('"compile-server"')
      ? 'compiler'
      : line.includes('sharpbox-host.dll", "exec"')
        ? 'exec'
        : 'child';
lines.forEach((line, i) => {
  const m = LINE.exec(line);
  if (!m) return;
  const pid = m[1];
  const name = m[2] ?? m[3];
  if (m[3] && /^(clone|clone3|fork|vfork)$/.test(name) && line.endsWith('<unfinished ...>')) pending.set(pid, name);
  // bwrap installs the filter with prctl(PR_SET_SECCOMP) just before it execs init: count from there.
  if (m[3] === 'prctl' && line.includes('PR_SET_SECCOMP')) seccompAt.set(pid, i + 1);
  if (m[3] === 'execve' && line.includes('execve("/sandbox/init"') && !initStart.has(pid))
    initStart.set(pid, seccompAt.get(pid) ?? i);
  if (m[3] === 'execve') execs.set(pid, [...(execs.get(pid) ?? []), [i, roleOfExec(line)]]);
  if (/^(clone|clone3|fork|vfork)$/.test(name)) {
    const c = CHILD.exec(line);
    if (c && !line.includes('<unfinished ...>')) parent.set(c[2] ?? c[1], pid);
  }
});
const inSandbox = (pid) => {
  for (let p = pid, hops = 0; p !== undefined && hops < 100; p = parent.get(p), hops++)
    if (initStart.has(p)) return true;
  return false;
};

// Which sandboxed program a call belongs to: the last program its process exec'd before the call, else
// (a thread, or a child before its own execve) its parent's.
const roleAt = (pid, i) => {
  for (let p = pid, hops = 0; p !== undefined && hops < 100; p = parent.get(p), hops++) {
    const before = (execs.get(p) ?? []).filter(([at]) => at <= i);
    if (before.length > 0) return before[before.length - 1][1];
    i = Infinity; // an ancestor's role: whatever it last became
  }
  return '?';
};

// Pass 2: collect.
const ARG_OF = {
  ioctl: (a) => a[1],
  fcntl: (a) => a[1],
  prctl: (a) => a[0],
  socket: (a) => a.slice(0, 3).join(', '),
  socketpair: (a) => a.slice(0, 3).join(', '),
  clone: (a) => a.find((x) => x.startsWith('flags='))?.replace(/^flags=/, ''),
  clone3: (a) => /flags=([^,]*)/.exec(a.join(', '))?.[1],
  seccomp: (a) => a[0],
  setsockopt: (a) => a.slice(1, 3).join(', '),
  getsockopt: (a) => a.slice(1, 3).join(', '),
  madvise: (a) => a[2],
  mmap: (a) => `${a[2]}, ${a[3]}`,
  mprotect: (a) => a[2],
  futex: (a) => a[1],
  flock: (a) => a[1],
  personality: (a) => a[0],
  arch_prctl: (a) => a[0],
  rt_sigaction: (a) => a[0],
  membarrier: (a) => a[0],
  kill: (a) => a[1],
  tgkill: (a) => a[2],
};
const splitArgs = (s) => {
  const out = [];
  let depth = 0,
    cur = '',
    q = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (q) {
      cur += ch;
      if (ch === '\\') {
        cur += s[++i] ?? '';
      } else if (ch === '"') q = false;
      continue;
    }
    if (ch === '"') {
      q = true;
      cur += ch;
      continue;
    }
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) {
      if (depth === 0) break;
      depth--;
    }
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
};
const calls = new Map(); // name -> { count, args: Map<string, number>, roles: Set<string>, errors: Map<string, number> }
const ERROR = / = -1 (E[A-Z0-9]+) /;
lines.forEach((line, i) => {
  const m = LINE.exec(line);
  if (!m) return;
  const pid = m[1];
  if (!inSandbox(pid)) return;
  const start = initStart.get(pid);
  if (start !== undefined && i < start) return;
  const name = m[2] ?? m[3];
  const entry = calls.get(name) ?? { count: 0, args: new Map(), roles: new Set(), errors: new Map() };
  calls.set(name, entry);
  const error = ERROR.exec(line)?.[1];
  if (error) entry.errors.set(error, (entry.errors.get(error) ?? 0) + 1);
  if (!m[3]) return; // count each call once, at its start
  entry.count++;
  entry.roles.add(roleAt(pid, i));
  const pick = ARG_OF[name];
  if (pick) {
    const v = pick(splitArgs(m[4].replace(/ <unfinished \.\.\.>$/, ''))) ?? '?';
    entry.args.set(v, (entry.args.get(v) ?? 0) + 1);
  }
});
for (const name of [...calls.keys()].sort()) {
  const { count, args, roles, errors } = calls.get(name);
  const list = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([v, n]) => `${v} ×${n}`)
      .join('; ');
  console.log(
    [name, count, [...roles].sort().join(','), errors.size ? `failed: ${list(errors)}` : '', list(args)]
      .join('\t')
      .trimEnd(),
  );
}
