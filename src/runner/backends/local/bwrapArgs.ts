// Pure builders for the sandbox command line. Nothing here touches the system, so the exact arrays are
// unit-tested (test/unit/bwrapArgs.test.ts), as snekbox tests its nsjail args and Compiler Explorer its
// nsjail options.

export interface Bind {
  src: string;
  dest: string;
}

export interface Symlink {
  /** What the link points to. */
  target: string;
  /** Where the link is created inside the sandbox. */
  path: string;
}

/** The read-only view of the host a sandbox gets: just what the .NET runtime needs. */
export interface SandboxLayout {
  roBinds: readonly Bind[];
  symlinks: readonly Symlink[];
}

export interface SandboxSpec {
  layout: SandboxLayout;
  /** Size cap of the fresh tmpfs at /tmp: the only writable place. */
  tmpfsBytes: number;
  env: Readonly<Record<string, string>>;
  /** fd number (in bwrap's own process) of a compiled seccomp filter, if any. */
  seccompFd?: number;
  /** fd on which bwrap reports the sandbox's pid 1 as seen from the host ({"child-pid": N}). */
  jsonStatusFd?: number;
  argv: readonly string[];
}

/** Where the init (tini, statically linked) is bound: it runs the program as its child and reaps. */
export const SANDBOX_INIT = '/sandbox/init';

/** The uid/gid the sandboxed program has inside its user namespace ("nobody", as snekbox does). */
export const INNER_ID = 65534;

/** Character devices a program may open: data sinks and sources, nothing that reaches hardware or a tty. */
export const SANDBOX_DEVICES = ['null', 'zero', 'full', 'random', 'urandom'] as const;
/** The usual links of a Linux /dev, so `/dev/stdout` and `/dev/fd/N` work. */
const DEV_LINKS: readonly (readonly [string, string])[] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  // POSIX shared memory lives in /tmp (capped, private, counted against the memory cgroup): .NET falls
  // back to it for anonymous memory-mapped files now that memfd_create is refused.
  ['/tmp', '/dev/shm'],
];
/** The /dev tmpfs holds only mount points and links; it is read-only once built. */
const DEV_TMPFS_BYTES = 64 * 1024;

export function buildBwrapArgs(spec: SandboxSpec): string[] {
  const args: string[] = [
    // Every namespace: user, pid, net (only its own loopback), ipc, uts, cgroup, mount.
    '--unshare-all',
    '--unshare-user',
    // The program may not create user namespaces of its own: they are the door to most kernel bugs.
    '--disable-userns',
    '--uid',
    String(INNER_ID),
    '--gid',
    String(INNER_ID),
    '--hostname',
    'sharpbox',
    // Kills the sandbox if the service dies; --new-session stops TIOCSTI injection (CVE-2017-5226).
    '--die-with-parent',
    '--new-session',
    // Our init (tini, see SANDBOX_INIT) is pid 1 and the outer bwrap's only child, which reaps it. bwrap's
    // own init would outlive the outer bwrap for a moment and be left as a zombie for the host's pid 1,
    // which on a host without a reaping init (this VM, Docker without --init) is never reaped: every
    // run would leak pid entries that count against the slot's RLIMIT_NPROC. And the program itself must
    // not be pid 1: the kernel drops self-sent signals to a namespace's init, so .NET's abort() on an
    // unhandled exception would end in SIGSEGV instead of SIGABRT.
    '--as-pid-1',
    '--clearenv',
  ];
  for (const [key, value] of Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    args.push('--setenv', key, value);
  }
  for (const bind of spec.layout.roBinds) args.push('--ro-bind', bind.src, bind.dest);
  for (const link of spec.layout.symlinks) args.push('--symlink', link.target, link.path);
  args.push(
    '--proc',
    '/proc',
    // Read-only, like everything else: /proc/1/mem of our init (same uid inside, so ptrace-readable) is
    // then not writable, and no /proc/self/* knob can be turned. Opening a proc file for writing on a
    // read-only mount fails with EROFS before any permission check.
    '--remount-ro',
    '/proc',
  );
  // A /dev of our own instead of bwrap's --dev, which also mounts a devpts instance with /dev/ptmx: every
  // non-initial devpts draws from one host-wide pool of 3,072 pseudo-terminals (kernel.pty.max less the
  // reserve), and one run took 3,071 of them. Snippets never need a terminal. Device binds are for the
  // five harmless character devices only; the tmpfs under them is read-only.
  args.push('--size', String(DEV_TMPFS_BYTES), '--tmpfs', '/dev');
  for (const dev of SANDBOX_DEVICES) args.push('--dev-bind', `/dev/${dev}`, `/dev/${dev}`);
  for (const [target, path] of DEV_LINKS) args.push('--symlink', target, path);
  args.push('--remount-ro', '/dev', '--size', String(spec.tmpfsBytes), '--tmpfs', '/tmp', '--chdir', '/tmp');
  if (spec.seccompFd !== undefined) args.push('--seccomp', String(spec.seccompFd));
  if (spec.jsonStatusFd !== undefined) args.push('--json-status-fd', String(spec.jsonStatusFd));
  // Last: everything but /tmp (and the kernel's /proc and /dev) becomes read-only, the root tmpfs too.
  args.push('--remount-ro', '/');
  args.push('--', SANDBOX_INIT, '--', ...spec.argv);
  return args;
}

export interface Rlimits {
  /** RLIMIT_NPROC: tasks of the slot's uid, all sandboxes of that uid together (one at a time). */
  nproc: number;
  nofile: number;
  fsizeBytes: number;
  /** null: no lifetime CPU cap (the long-lived compile server, whose compiles have deadlines instead). */
  cpuSeconds: number | null;
  dataBytes: number;
  core: number;
}

export interface LaunchSpec {
  /** The highest descriptor the sandbox is meant to receive; every one above it is closed first. */
  lastFd: number;
  /** cgroup.procs files the launcher joins before anything else runs (empty: no cgroups). */
  cgroupProcsFiles: readonly string[];
  rlimits: Rlimits;
  uid: number;
  gid: number;
  bwrapArgs: readonly string[];
  tools: { bash: string; prlimit: string; setpriv: string; bwrap: string };
}

/**
 * Exit code of the launcher when it could not join the cgroups (ENTER_SCRIPT). A program can exit with
 * it too, so classify.ts believes it only before the host's `start` note.
 */
export const LAUNCHER_FAILED = 125;

// The first step of every launch, run by bash (dash cannot name a descriptor above 9). It closes every
// descriptor above the sandbox's own ($1): Node's spawn, prlimit, setpriv, bwrap and tini all pass on
// whatever the service inherited without close-on-exec (a run read a root-only file and appended to
// another through such descriptors). Then it joins each cgroup named before `--`, and execs the rest.
// The join must happen before the sandbox starts, so that every process it ever creates is born inside
// the cgroup; writing the pid from the service after spawn would race with the program's first fork.
export const ENTER_SCRIPT =
  'last=$1; shift; for f in /proc/$$/fd/*; do n=${f##*/}; if (( n > last )); then exec {n}>&-; fi; done; ' +
  `while [ "$1" != -- ]; do echo $$ > "$1" || exit ${LAUNCHER_FAILED}; shift; done; shift; exec "$@"`;

/**
 * The full argv: bash closes stray descriptors and joins the cgroups → prlimit sets rlimits (as root, so hard limits can be set) →
 * setpriv drops to the slot's uid with no groups and no_new_privs → bwrap builds the sandbox. Each step
 * execs the next, so the pid the service holds is bwrap's own.
 */
export function buildLaunchArgv(spec: LaunchSpec): string[] {
  const { rlimits: r, tools } = spec;
  // --norc: bash sources ~/.bashrc when its stdin is a socket (it takes that for rshd/sshd), and spawn's
  // stdio are socketpairs: root's .bashrc would run, and print into the program's stderr.
  const argv: string[] = [
    tools.bash,
    '--norc',
    '--noprofile',
    '-c',
    ENTER_SCRIPT,
    'sharpbox-enter',
    String(spec.lastFd),
    ...spec.cgroupProcsFiles,
    '--',
  ];
  argv.push(
    tools.prlimit,
    `--nproc=${r.nproc}`,
    `--nofile=${r.nofile}`,
    `--fsize=${r.fsizeBytes}`,
    // SIGXCPU at the soft limit, SIGKILL at the hard one: a backstop behind the wall-clock killer.
    `--cpu=${r.cpuSeconds === null ? 'unlimited' : `${r.cpuSeconds}:${r.cpuSeconds + 1}`}`,
    `--data=${r.dataBytes}`,
    `--core=${r.core}`,
    // No raised priority, whatever the service inherited: no real-time scheduling (sched_setscheduler
    // is allowed, for the runtime's own calls) and no negative nice value. CPU time is a host-wide pool.
    '--rtprio=0',
    '--nice=0',
    '--',
    tools.setpriv,
    `--reuid=${spec.uid}`,
    `--regid=${spec.gid}`,
    '--clear-groups',
    '--no-new-privs',
    '--',
    tools.bwrap,
    ...spec.bwrapArgs,
  );
  return argv;
}
