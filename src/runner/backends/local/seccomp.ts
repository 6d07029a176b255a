// The sandbox's seccomp filter (classic BPF, as `bwrap --seccomp FD` takes it): an ALLOW-list. bwrap
// installs it right before it execs the sandbox's init, so it binds tini, the runner host (`exec`, which
// runs the user's code in its own process, and `compile-server`, Roslyn) and everything they start.
//
// Why an allow-list, when isolate and Compiler Explorer keep deny-lists: a deny-list only refuses what
// its author thought of, and ours was shown to miss whole families: AF_VSOCK sockets (vsock addresses
// are not namespaced: a bind inside collided with a port held outside, and on a VM it is a path to the
// hypervisor), MPTCP, netlink (eleven protocols opened here), io_setup (one run took all 65,536
// host-wide AIO events), inotify on the shared read-only runtime (another user's run became visible),
// flock on shared read-only files (bytes carried between two concurrent runs), modify_ldt, pidfd_getfd,
// kcmp, memfd_secret. The allowed set was measured (scripts/trace-syscalls.sh: every call tini, the
// runner host and Roslyn made over a broad set of programs) plus a short margin, each with its reason.
// It still allows what tini needs to start the runner host (clone without namespaces, execve, vfork for
// Process.Start); the runner host installs a tighter filter of its own before the user's code runs
// (filters stack, and a later one can only narrow), which is why seccomp() stays allowed.
//
// What is refused, and how:
// - every call not allowed: ENOSYS, which glibc and .NET take as "this kernel does not have it" and
//   fall back from (clone3 → clone, for one);
// - DANGEROUS_SYSCALLS: EPERM, so that a test, a log line or a person reading an strace sees a refusal
//   rather than an old kernel;
// - a few calls by argument (ARG_RULES): socket families and protocols, clone's namespace flags, ioctl
//   requests, fcntl commands (record locks and leases on shared files are a cross-run channel), prctl
//   options, seccomp operations; each with the errno the kernel itself uses for "not that";
// - flock: ENOLCK. .NET's FileStream takes an flock for FileShare and ignores every error but
//   EWOULDBLOCK, so FileShare.None still opens files; it just no longer locks anything between runs;
// - memfd_create: EPERM. .NET uses it only to double-map JIT code for W^X; without it the runtime keeps
//   code pages read-write-execute, as it does with DOTNET_EnableWriteXorExecute=0 (tested both ways);
// - another architecture (an i386 binary): the process is killed; the x32 ABI: ENOSYS.
// SANDBOX_SECCOMP=log builds the same program with SECCOMP_RET_LOG in place of every refusal: nothing is
// refused and the kernel logs each call that would have been (dmesg: `audit: type=1326 … syscall=N`), to
// find what a new runtime version needs. Without auditd those lines go through printk's rate limit,
// which drops most of them: `sysctl kernel.printk_ratelimit=0` while looking. Built here, not with libseccomp, so the exact program is
// unit-tested (test/unit/seccomp.test.ts) and swept against the real kernel
// (test/integration/seccomp-sweep.test.ts).
import type { SeccompMode } from '../../../config.js';
import { Assembler, encode, type Insn } from './seccomp/bpf.js';
import { MAX_SYSCALL_X64, SYSCALLS_X64, type SyscallName } from './seccomp/syscallsX64.js';

export { MAX_SYSCALL_X64, SYSCALLS_X64, type SyscallName } from './seccomp/syscallsX64.js';

export const ERRNO = {
  EPERM: 1,
  EINVAL: 22,
  ENOTTY: 25,
  ENOLCK: 37,
  ENOSYS: 38,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EAFNOSUPPORT: 97,
} as const;
export type ErrnoName = keyof typeof ERRNO;

/**
 * Called by tini, the runner host or Roslyn in the measurement (scripts/trace-syscalls.sh; the calls,
 * counts, callers and argument values are in scripts/trace-syscalls/measured-x86_64.txt), and allowed
 * whatever their arguments. Measured calls that are refused or filtered by argument are not here: see
 * DANGEROUS_SYSCALLS (inotify_*, memfd_create), ARG_RULES and REFUSED_WITH. Two came only from the
 * hostile programs and are harmless: clock_nanosleep (libc sleep) and restart_syscall (the kernel's own
 * resumption of an interrupted sleep).
 */
export const MEASURED_SYSCALLS: readonly SyscallName[] = [
  // files and directories
  'read',
  'write',
  'openat',
  'close',
  'lseek',
  'pread64',
  'pwrite64',
  'preadv',
  'pwritev',
  'fstat',
  'stat',
  'lstat',
  'newfstatat',
  'statfs',
  'fstatfs',
  'access',
  'readlink',
  'getdents64',
  'getcwd',
  'chdir',
  'mkdir',
  'rmdir',
  'rename',
  'link',
  'unlink',
  'symlink',
  'chmod',
  'fchmod',
  'utimensat',
  'ftruncate',
  'fallocate',
  'fadvise64',
  'fsync',
  'copy_file_range',
  'dup2',
  'pipe2',
  // memory
  'brk',
  'mmap',
  'munmap',
  'mprotect',
  'mremap',
  'madvise',
  'msync',
  'membarrier',
  'get_mempolicy',
  // threads, scheduling, time
  'futex',
  'set_robust_list',
  'set_tid_address',
  'rseq',
  'arch_prctl',
  'gettid',
  'sched_yield',
  'sched_getaffinity',
  'sched_setaffinity',
  'sched_getparam',
  'sched_getscheduler',
  'sched_setscheduler',
  'sched_get_priority_max',
  'sched_get_priority_min',
  'getpriority',
  'setpriority',
  'clock_nanosleep',
  // signals
  'rt_sigaction',
  'rt_sigprocmask',
  'rt_sigreturn',
  'rt_sigtimedwait',
  'sigaltstack',
  'restart_syscall',
  'kill',
  'tgkill',
  // processes (tini starts the runner host; Process.Start uses vfork; the inner filter narrows these)
  'execve',
  'vfork',
  'wait4',
  'waitid',
  'exit',
  'exit_group',
  'getpid',
  'getpgrp',
  'setpgid',
  'getsid',
  'geteuid',
  'prlimit64',
  'getrusage',
  'getrandom',
  'sysinfo',
  'uname',
  // sockets (socket itself is filtered by argument) and polling
  'bind',
  'listen',
  'accept4',
  'connect',
  'getsockname',
  'getsockopt',
  'setsockopt',
  'sendto',
  'recvfrom',
  'sendmsg',
  'sendmmsg',
  'recvmsg',
  'shutdown',
  'poll',
  'epoll_create1',
  'epoll_ctl',
  'epoll_wait',
];

/** Not seen in the measurement but made by ordinary C# programs (or their libc) on some path: the reason for each. */
export const MARGIN_SYSCALLS: Readonly<Partial<Record<SyscallName, string>>> = {
  clock_gettime:
    'served by the vDSO here, but the real call when the clock source has no vDSO (this VM boots with tsc=unstable)',
  clock_getres: 'Stopwatch.Frequency and friends; the vDSO fallback, as clock_gettime',
  gettimeofday: 'DateTime.UtcNow in native code; the vDSO fallback, as clock_gettime',
  time: 'time(2) from native code; the vDSO fallback, as clock_gettime',
  getcpu: 'Thread.GetCurrentProcessorId when the vDSO cannot answer',
  nanosleep: 'the older sleep call (glibc uses clock_nanosleep, which is measured)',
  readv: 'vectored reads from native code and P/Invoke (readv(2))',
  writev: 'vectored writes from native code and P/Invoke (writev(2))',
  preadv2: 'RandomAccess with several buffers on a libc that prefers the v2 calls',
  pwritev2: 'RandomAccess with several buffers on a libc that prefers the v2 calls',
  fdatasync: 'FileStream.Flush(true) on libcs that flush data only',
  sendfile: "File.Copy's fallback when copy_file_range cannot copy between the two files",
  statx: 'stat on newer glibc, and File.GetCreationTime (birth time) where .NET asks for it',
  faccessat: 'access(2) on libcs that use the *at form',
  faccessat2: 'access(2) and euidaccess on newer glibc',
  readlinkat: 'readlink on libcs that use the *at form',
  mkdirat: 'mkdir on libcs that use the *at form',
  unlinkat: 'unlink and rmdir on libcs that use the *at form (and Directory.Delete on some versions)',
  renameat: 'rename on libcs that use the *at form',
  renameat2: 'rename with RENAME_NOREPLACE, which File.Move without overwrite may use instead of link',
  linkat: 'link on libcs that use the *at form',
  symlinkat: 'symlink on libcs that use the *at form',
  fchmodat: 'chmod on libcs that use the *at form',
  dup: 'SafeHandle duplication and P/Invoke; same as the measured dup2',
  dup3: 'dup2 with O_CLOEXEC',
  getuid: 'Environment.UserName and getpwuid(getuid()) in native code',
  getgid: 'identity reads in native code',
  getegid: 'identity reads in native code',
  getppid: 'identity reads in native code (parent of the program: the sandbox init)',
  getgroups: 'identity reads in native code',
  getresuid: 'identity reads in native code',
  getresgid: 'identity reads in native code',
  getpgid: 'identity reads in native code',
  getpeername: 'Socket.RemoteEndPoint of a connected socket on paths that do not have it from accept',
  ppoll: 'poll with a timeout on libcs that implement poll() with ppoll',
  pselect6: 'select() from native code',
  select: 'select() from native code',
  epoll_pwait: 'epoll_wait on libcs that implement it with epoll_pwait',
  epoll_pwait2: 'epoll with a nanosecond timeout on newer libraries',
  eventfd2: 'a poller wake-up used by native IO libraries',
  close_range: 'closefrom() in newer glibc, and child set-up in newer Process.Start',
};

/**
 * Refused with EPERM rather than the default ENOSYS: calls that are known doors out of a namespace
 * sandbox, shared across sandboxes, or a large kernel attack surface that no C# program needs. Each
 * with its reason (README cites this table).
 */
export const DANGEROUS_SYSCALLS: Readonly<Partial<Record<SyscallName, string>>> = {
  add_key: 'kernel keyrings are not namespaced',
  request_key: 'kernel keyrings are not namespaced',
  keyctl: 'kernel keyrings are not namespaced',
  io_uring_setup: 'io_uring opens sockets and files outside seccomp, and has a long CVE list',
  io_uring_enter: 'io_uring opens sockets and files outside seccomp, and has a long CVE list',
  io_uring_register: 'io_uring opens sockets and files outside seccomp, and has a long CVE list',
  io_setup: 'AIO contexts come from one host-wide pool (fs.aio-max-nr): one run took all 65,536 events',
  io_destroy: 'AIO (see io_setup)',
  io_submit: 'AIO (see io_setup)',
  io_cancel: 'AIO (see io_setup)',
  io_getevents: 'AIO (see io_setup)',
  io_pgetevents: 'AIO (see io_setup)',
  inotify_init: "watching the shared read-only runtime shows another run's file opens",
  inotify_init1:
    "watching the shared read-only runtime shows another run's file opens (FileSystemWatcher fails cleanly)",
  inotify_add_watch: 'inotify (see inotify_init1)',
  inotify_rm_watch: 'inotify (see inotify_init1)',
  fanotify_init: 'filesystem-wide watches',
  fanotify_mark: 'filesystem-wide watches',
  bpf: 'eBPF programs and maps: kernel attack surface',
  perf_event_open: 'performance counters: side channels and kernel attack surface',
  userfaultfd: 'the usual tool for winning kernel races in exploits',
  ptrace: 'reaches into the sandbox init and the runner host',
  process_vm_readv: 'reads another process of the sandbox',
  process_vm_writev: 'writes another process of the sandbox',
  process_madvise: 'acts on another process of the sandbox',
  kcmp: 'compares kernel objects of other processes (an ASLR and fd-sharing oracle)',
  pidfd_getfd: 'steals a file descriptor from another process (the sandbox init)',
  memfd_create:
    'anonymous files to execute (fexecve); .NET uses it only to double-map JIT code (W^X) and falls back to RWX pages',
  memfd_secret: 'memory the kernel itself cannot see: kernel attack surface for no C# use',
  modify_ldt: 'x86 segment descriptors: a classic source of kernel bugs',
  personality: 'READ_IMPLIES_EXEC and other execution-domain switches',
  mq_open: 'POSIX message queues: IPC no C# program uses, and kernel attack surface',
  mq_unlink: 'POSIX message queues (see mq_open)',
  mq_timedsend: 'POSIX message queues (see mq_open)',
  mq_timedreceive: 'POSIX message queues (see mq_open)',
  mq_notify: 'POSIX message queues (see mq_open)',
  mq_getsetattr: 'POSIX message queues (see mq_open)',
  shmget: 'SysV shared memory: IPC no C# program uses',
  shmat: 'SysV shared memory',
  shmdt: 'SysV shared memory',
  shmctl: 'SysV shared memory',
  semget: 'SysV semaphores',
  semop: 'SysV semaphores',
  semtimedop: 'SysV semaphores',
  semctl: 'SysV semaphores',
  msgget: 'SysV message queues',
  msgsnd: 'SysV message queues',
  msgrcv: 'SysV message queues',
  msgctl: 'SysV message queues',
  mount: 'changes the mount table',
  umount2: 'changes the mount table',
  pivot_root: 'changes the mount table',
  open_tree: 'new mount API',
  open_tree_attr: 'new mount API',
  move_mount: 'new mount API',
  fsopen: 'new mount API',
  fsconfig: 'new mount API',
  fsmount: 'new mount API',
  fspick: 'new mount API',
  mount_setattr: 'new mount API',
  chroot: 'a second root inside the sandbox',
  unshare: 'new namespaces: the door to most namespace-sandbox escapes',
  setns: 'joins other namespaces',
  open_by_handle_at: 'opens files by handle, around the mount namespace (the "Shocker" container escape)',
  name_to_handle_at: 'the other half of open_by_handle_at',
  kexec_load: 'machine administration',
  kexec_file_load: 'machine administration',
  init_module: 'kernel modules',
  finit_module: 'kernel modules',
  delete_module: 'kernel modules',
  reboot: 'machine administration',
  swapon: 'machine administration',
  swapoff: 'machine administration',
  acct: 'machine administration',
  syslog: 'the kernel log',
  quotactl: 'machine administration',
  quotactl_fd: 'machine administration',
  lookup_dcookie: 'kernel profiling',
  settimeofday: 'the host clock',
  clock_settime: 'the host clock',
  clock_adjtime: 'the host clock',
  adjtimex: 'the host clock',
  sethostname: 'changes the sandbox hostname',
  setdomainname: 'changes the sandbox domain name',
  iopl: 'raw I/O ports',
  ioperm: 'raw I/O ports',
  vhangup: 'terminal hang-up',
  uselib: 'an obsolete loader call',
};

/**
 * Numbers the kernel never shows a filter: since Linux 6.14 (uretprobe) and 6.17 (uprobe), seccomp lets
 * these two through unfiltered, because the kernel's own uprobe trampolines issue them inside any
 * process being probed. Called from anywhere else they fail (EPERM or ENXIO here; SIGILL on some
 * versions). The filter says ENOSYS for them like for any unlisted number; the kernel does not ask it.
 */
export const KERNEL_UNFILTERED: readonly SyscallName[] = ['uretprobe', 'uprobe'];

/** Calls refused whatever their arguments, with an errno of their own (not ENOSYS, not EPERM). */
export const REFUSED_WITH: Readonly<Partial<Record<SyscallName, { errno: ErrnoName; why: string }>>> = {
  // FileStream ignores this error, so FileShare.None still opens files (without excluding anyone); a
  // named Mutex, which locks its file under /tmp/.dotnet/shm, throws IOException.
  flock: { errno: 'ENOLCK', why: 'locks on the shared read-only files carry bytes between runs' },
  clone3: {
    errno: 'ENOSYS',
    why: 'its flags are in a struct the filter cannot read; glibc falls back to clone, whose flags it can',
  },
};

// Arguments the filter looks at. The kernel reads each of these as a 32-bit int (socket's three, ioctl's
// request, fcntl's command, prctl's option, seccomp's operation, and clone's flags, which it truncates
// with lower_32_bits), so the low word is what counts. For all but clone the high word must be zero as
// well, else the call is refused as an unlisted value would be: no caller needs it, and the filter then
// never depends on the kernel's truncation. clone is the exception: glibc passes its flags as an int,
// so its high word is whatever the register held, and the kernel ignores it.

export const ADDRESS_FAMILIES = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10 } as const;
export const SOCKET_TYPES = { SOCK_STREAM: 1, SOCK_DGRAM: 2 } as const;
/** For AF_UNIX only (seqpacket is a connected datagram pipe there; in AF_INET it would mean SCTP). */
export const UNIX_SOCKET_TYPES = { SOCK_SEQPACKET: 5 } as const;
/** SOCK_NONBLOCK and SOCK_CLOEXEC ride in the type argument; the kernel masks the type with this. */
export const SOCK_TYPE_MASK = 0xf;
/** 0 picks the family's default (TCP for stream, UDP for datagram). MPTCP (262), SCTP (132) and ICMP (1) are out. */
export const SOCKET_PROTOCOLS = { IPPROTO_IP: 0, IPPROTO_TCP: 6, IPPROTO_UDP: 17 } as const;

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: refused with EPERM. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** ioctl requests allowed (others: ENOTTY, what a file that does not know a request says). */
export const IOCTL_REQUESTS: Readonly<Record<string, { request: number; why: string }>> = {
  TCGETS: { request: 0x5401, why: 'measured: isatty() on every standard stream (Console)' },
  FIONREAD: { request: 0x541b, why: 'measured: Socket.Available' },
  SIOCGIFMTU: { request: 0x8921, why: 'measured: network interface facts, read-only, of the sandbox namespace' },
  SIOCGIFINDEX: { request: 0x8933, why: 'measured: interface index for IPv6 scope ids and multicast' },
  TIOCGWINSZ: { request: 0x5413, why: 'margin: Console.WindowWidth asks it when output is a terminal' },
  FIONBIO: { request: 0x5421, why: 'margin: non-blocking mode from native code' },
  FIONCLEX: { request: 0x5450, why: 'margin: close-on-exec off, from native code' },
  FIOCLEX: { request: 0x5451, why: 'margin: close-on-exec on, from native code' },
};
// Measured but left out: TIOCSPGRP from tini (it takes ENOTTY as "no terminal" and carries on) and
// FICLONE from File.Copy (which falls back to copy_file_range on any error, and /tmp cannot clone).

/** fcntl commands allowed (others: EINVAL, what the kernel says for a command it does not know). */
export const FCNTL_COMMANDS: Readonly<Record<string, number>> = {
  F_DUPFD: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 1030,
};
/** Record locks: ENOLCK. A lock on a shared read-only file (the runtime) is visible to every other run. */
export const FCNTL_LOCK_COMMANDS: Readonly<Record<string, number>> = {
  F_GETLK: 5,
  F_SETLK: 6,
  F_SETLKW: 7,
  F_OFD_GETLK: 36,
  F_OFD_SETLK: 37,
  F_OFD_SETLKW: 38,
};
/** Leases and directory notification (dnotify): EPERM; the same cross-run channels as locks and inotify. */
export const FCNTL_REFUSED_COMMANDS: Readonly<Record<string, number>> = {
  F_SETLEASE: 1024,
  F_GETLEASE: 1025,
  F_NOTIFY: 1026,
};

/** prctl options allowed (others: EINVAL, the kernel's answer for an option it does not know). */
export const PRCTL_OPTIONS: Readonly<Record<string, { option: number; why: string }>> = {
  PR_SET_NAME: { option: 15, why: 'measured: the runtime names its threads' },
  PR_GET_NAME: { option: 16, why: 'margin: pthread_getname_np on the calling thread' },
  PR_GET_SECCOMP: { option: 21, why: 'margin: a read-only query' },
  PR_SET_SECCOMP: {
    option: 22,
    why: 'margin: the runner host may install its own, tighter filter this way; a filter only narrows',
  },
  PR_SET_NO_NEW_PRIVS: {
    option: 38,
    why: 'required before installing a filter (already set by setpriv: this only repeats it)',
  },
  PR_GET_NO_NEW_PRIVS: { option: 39, why: 'margin: a read-only query' },
};

/** seccomp(2) operations allowed (others: EINVAL). Filters stack and can only narrow what this one allows. */
export const SECCOMP_OPERATIONS = { SECCOMP_SET_MODE_FILTER: 1, SECCOMP_GET_ACTION_AVAIL: 2 } as const;

/** Calls decided by their arguments, and where each rule is written out (the BPF below). */
export const ARG_RULES = {
  socket:
    'domain AF_UNIX/AF_INET/AF_INET6 (else EAFNOSUPPORT); type STREAM/DGRAM, SEQPACKET for AF_UNIX (else ESOCKTNOSUPPORT); protocol 0/TCP/UDP (else EPROTONOSUPPORT)',
  socketpair: 'as socket',
  clone: 'no namespace flag (else EPERM)',
  ioctl: 'IOCTL_REQUESTS only (else ENOTTY)',
  fcntl: 'FCNTL_COMMANDS (locks ENOLCK, leases and F_NOTIFY EPERM, others EINVAL)',
  prctl: 'PRCTL_OPTIONS only (else EINVAL)',
  seccomp: 'SECCOMP_OPERATIONS only (else EINVAL)',
} as const satisfies Partial<Record<SyscallName, string>>;
type Rule = keyof typeof ARG_RULES;

/** What the filter does with one system call number, before looking at any argument. */
export type Decision = { kind: 'allow' } | { kind: 'errno'; errno: ErrnoName } | { kind: 'rule'; rule: Rule };

const AUDIT_ARCH_X86_64 = 0xc000003e;
/** x32 ABI calls on x86_64 have this bit set in their number. */
const X32_SYSCALL_BIT = 0x40000000;

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  ERRNO: 0x00050000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

// struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6] (little-endian)
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLo = (i: number): number => 16 + 8 * i;
const argHi = (i: number): number => 16 + 8 * i + 4;

/** The decision for every number up to MAX_SYSCALL_X64 (the rest: ENOSYS), from the tables above. */
export function decisionTable(): Decision[] {
  const table: Decision[] = Array.from({ length: MAX_SYSCALL_X64 + 1 }, () => ({ kind: 'errno', errno: 'ENOSYS' }));
  const named = new Set<SyscallName>();
  const set = (name: SyscallName, d: Decision): void => {
    if (named.has(name)) throw new Error(`${name} is in two seccomp tables`);
    named.add(name);
    table[SYSCALLS_X64[name]] = d;
  };
  for (const name of MEASURED_SYSCALLS) set(name, { kind: 'allow' });
  for (const name of keys(MARGIN_SYSCALLS)) set(name, { kind: 'allow' });
  for (const name of keys(DANGEROUS_SYSCALLS)) set(name, { kind: 'errno', errno: 'EPERM' });
  for (const name of keys(REFUSED_WITH)) set(name, { kind: 'errno', errno: REFUSED_WITH[name]?.errno ?? 'EPERM' });
  for (const rule of keys(ARG_RULES)) set(rule, { kind: 'rule', rule });
  return table;
}

const keys = <K extends string>(record: Readonly<Partial<Record<K, unknown>>>): K[] => Object.keys(record) as K[];

/** The filter program for x86_64 (exported for tests). */
export function seccompProgramX64(mode: Exclude<SeccompMode, 'off'> = 'enforce'): Insn[] {
  const refuse = (errno: ErrnoName): number =>
    mode === 'log' ? SECCOMP_RET.LOG : (SECCOMP_RET.ERRNO | ERRNO[errno]) >>> 0;
  const kill = mode === 'log' ? SECCOMP_RET.LOG : SECCOMP_RET.KILL_PROCESS;
  const a = new Assembler();

  a.ld(OFF_ARCH).jeq(AUDIT_ARCH_X86_64, 'arch-ok');
  a.ret(kill);
  a.label('arch-ok').ld(OFF_NR).jge(X32_SYSCALL_BIT, null, 'native');
  a.ret(refuse('ENOSYS'));
  a.label('native');
  emitSearch(a, ranges(decisionTable()), (d) => {
    if (d.kind === 'allow') a.ret(SECCOMP_RET.ALLOW);
    else if (d.kind === 'errno') a.ret(refuse(d.errno));
    else a.ja(`rule:${d.rule}`);
  });

  // Each rule: the call's number is known; A is free. Loads a 32-bit argument, refusing the call when
  // its high word is not zero.
  const ld32 = (i: number, otherwise: string): void => {
    a.ld(argHi(i)).jeq(0, null, otherwise).ld(argLo(i));
  };

  // socket and socketpair: domain, type, protocol.
  a.label('rule:socket').label('rule:socketpair');
  ld32(0, 'socket:family');
  a.jeq(ADDRESS_FAMILIES.AF_UNIX, 'socket:unix');
  a.jeq(ADDRESS_FAMILIES.AF_INET, 'socket:inet');
  a.jeq(ADDRESS_FAMILIES.AF_INET6, 'socket:inet');
  a.label('socket:family').ret(refuse('EAFNOSUPPORT'));
  a.label('socket:unix');
  ld32(1, 'socket:type');
  a.and(SOCK_TYPE_MASK).jeq(UNIX_SOCKET_TYPES.SOCK_SEQPACKET, 'socket:protocol', 'socket:stream-dgram');
  a.label('socket:inet');
  ld32(1, 'socket:type');
  a.and(SOCK_TYPE_MASK);
  a.label('socket:stream-dgram');
  a.jeq(SOCKET_TYPES.SOCK_STREAM, 'socket:protocol');
  a.jeq(SOCKET_TYPES.SOCK_DGRAM, 'socket:protocol');
  a.label('socket:type').ret(refuse('ESOCKTNOSUPPORT'));
  a.label('socket:protocol');
  ld32(2, 'socket:bad-protocol');
  for (const p of Object.values(SOCKET_PROTOCOLS)) a.jeq(p, 'socket:allow');
  a.label('socket:bad-protocol').ret(refuse('EPROTONOSUPPORT'));
  a.label('socket:allow').ret(SECCOMP_RET.ALLOW);

  // clone: the low word only (see above).
  a.label('rule:clone').ld(argLo(0)).jset(CLONE_NAMESPACE_FLAGS, 'clone:namespace');
  a.ret(SECCOMP_RET.ALLOW);
  a.label('clone:namespace').ret(refuse('EPERM'));

  const allowList = (
    rule: Rule,
    arg: number,
    values: readonly number[],
    otherwise: ErrnoName,
    extra?: () => void,
  ): void => {
    a.label(`rule:${rule}`);
    ld32(arg, `${rule}:refuse`);
    for (const v of values) a.jeq(v, `${rule}:allow`);
    extra?.();
    a.label(`${rule}:refuse`).ret(refuse(otherwise));
    a.label(`${rule}:allow`).ret(SECCOMP_RET.ALLOW);
  };
  allowList(
    'ioctl',
    1,
    Object.values(IOCTL_REQUESTS).map((r) => r.request),
    'ENOTTY',
  );
  allowList('fcntl', 1, Object.values(FCNTL_COMMANDS), 'EINVAL', () => {
    for (const c of Object.values(FCNTL_LOCK_COMMANDS)) a.jeq(c, 'fcntl:lock');
    for (const c of Object.values(FCNTL_REFUSED_COMMANDS)) a.jeq(c, 'fcntl:eperm');
    a.ja('fcntl:refuse');
    a.label('fcntl:lock').ret(refuse('ENOLCK'));
    a.label('fcntl:eperm').ret(refuse('EPERM'));
  });
  allowList(
    'prctl',
    0,
    Object.values(PRCTL_OPTIONS).map((o) => o.option),
    'EINVAL',
  );
  allowList('seccomp', 0, Object.values(SECCOMP_OPERATIONS), 'EINVAL');
  return a.assemble();
}

interface Range {
  from: number;
  decision: Decision;
}

const same = (x: Decision, y: Decision): boolean => JSON.stringify(x) === JSON.stringify(y);

/** Runs of equal decisions over 0…X32_SYSCALL_BIT-1 (past the table: ENOSYS). */
function ranges(table: readonly Decision[]): Range[] {
  const out: Range[] = [];
  const push = (from: number, decision: Decision): void => {
    const last = out.at(-1);
    if (!last || !same(last.decision, decision)) out.push({ from, decision });
  };
  table.forEach((d, nr) => push(nr, d));
  push(table.length, { kind: 'errno', errno: 'ENOSYS' });
  return out;
}

/**
 * A binary search over the ranges (A holds the number, below X32_SYSCALL_BIT): about nine comparisons
 * for any call, where a list of jeq would take up to ~250. Each leaf is one instruction: a return, or a
 * jump to an argument rule. A subtree too large for a conditional jump over it gets a `ja` in front.
 */
function emitSearch(a: Assembler, rs: readonly Range[], leaf: (d: Decision) => void): void {
  let labels = 0;
  const size = (lo: number, hi: number): number => {
    if (hi - lo === 1) return 1;
    const mid = (lo + hi) >> 1;
    const left = size(lo, mid);
    return 1 + (left > 255 ? 1 : 0) + left + size(mid, hi);
  };
  const emit = (lo: number, hi: number): void => {
    const first = rs[lo];
    if (!first) throw new Error('empty range');
    if (hi - lo === 1) return leaf(first.decision);
    const mid = (lo + hi) >> 1;
    const pivot = rs[mid];
    if (!pivot) throw new Error('empty range');
    const right = `search:${++labels}`;
    if (size(lo, mid) > 255) {
      const left = `search:${++labels}`;
      a.jge(pivot.from, null, left).ja(right).label(left);
    } else {
      a.jge(pivot.from, right);
    }
    emit(lo, mid);
    a.label(right);
    emit(mid, hi);
  };
  emit(0, rs.length);
}

/** The filter bwrap reads from its fd (struct sock_filter[]), or null: no filter (SANDBOX_SECCOMP=off, or no filter for this architecture). */
export function seccompFilter(nodeArch: string, mode: SeccompMode = 'enforce'): Buffer | null {
  if (mode === 'off' || nodeArch !== 'x64') return null;
  return encode(seccompProgramX64(mode));
}

/** What to warn about at start-up, if anything: the sandbox runs with less than the full filter. */
export function seccompWarning(nodeArch: string, mode: SeccompMode): string | null {
  if (mode === 'off')
    return 'SANDBOX_SECCOMP=off: no seccomp filter; the sandbox relies on namespaces, rlimits and cgroups alone';
  if (nodeArch !== 'x64')
    return `no seccomp filter for ${nodeArch}: the sandbox relies on namespaces, rlimits and cgroups alone`;
  if (mode === 'log')
    return 'SANDBOX_SECCOMP=log: the seccomp filter refuses nothing and logs what it would refuse (dmesg: audit type=1326; sysctl kernel.printk_ratelimit=0 to see them all)';
  return null;
}
