import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Assembler, BPF_MAX_INSNS, decode, encode } from '../../src/runner/backends/local/seccomp/bpf.js';
import {
  DANGEROUS_SYSCALLS,
  decisionTable,
  MARGIN_SYSCALLS,
  MAX_SYSCALL_X64,
  MEASURED_SYSCALLS,
  seccompFilter,
  seccompProgramX64,
  seccompWarning,
  SYSCALLS_X64,
  type SyscallName,
} from '../../src/runner/backends/local/seccomp.js';
import { jumpTargetsInside, runFilter, verdict, type Verdict } from '../support/bpf.js';

// The expectations below are written out with plain numbers on purpose: they restate the policy
// independently of the tables in seccomp.ts, so a change there shows up here, in review.
const EPERM = 1;
const EINVAL = 22;
const ENOTTY = 25;
const ENOLCK = 37;
const ENOSYS = 38;
const EPROTONOSUPPORT = 93;
const ESOCKTNOSUPPORT = 94;
const EAFNOSUPPORT = 97;

const program = seccompProgramX64();
const nr = (name: SyscallName): number => SYSCALLS_X64[name];
const call = (name: SyscallName, ...args: (number | bigint)[]): Verdict =>
  verdict(runFilter(program, { nr: nr(name), args: args.map(BigInt) }));

/**
 * What the filter answers for each number, every argument 0 (argument rules then give their answer for
 * 0: clone and fcntl(F_DUPFD) allowed, socket(0) EAFNOSUPPORT, ioctl(0) ENOTTY, prctl(0) and seccomp(0)
 * EINVAL). Every number 0…MAX+10 not listed gets ENOSYS. A change to the filter shows up here.
 */
const DECISIONS: Record<string, string[]> = {
  ALLOW: [
    '0 read, 1 write, 3 close, 4 stat, 5 fstat, 6 lstat, 7 poll, 8 lseek, 9 mmap, 10 mprotect, 11 munmap,',
    '12 brk, 13 rt_sigaction, 14 rt_sigprocmask, 15 rt_sigreturn, 17 pread64, 18 pwrite64, 19 readv,',
    '20 writev, 21 access, 23 select, 24 sched_yield, 25 mremap, 26 msync, 28 madvise, 32 dup, 33 dup2,',
    '35 nanosleep, 39 getpid, 40 sendfile, 42 connect, 44 sendto, 45 recvfrom, 46 sendmsg, 47 recvmsg,',
    '48 shutdown, 49 bind, 50 listen, 51 getsockname, 52 getpeername, 54 setsockopt, 55 getsockopt,',
    '56 clone, 58 vfork, 59 execve, 60 exit, 61 wait4, 62 kill, 63 uname, 72 fcntl, 74 fsync,',
    '75 fdatasync, 77 ftruncate, 79 getcwd, 80 chdir, 82 rename, 83 mkdir, 84 rmdir, 86 link, 87 unlink,',
    '88 symlink, 89 readlink, 90 chmod, 91 fchmod, 96 gettimeofday, 98 getrusage, 99 sysinfo, 102 getuid,',
    '104 getgid, 107 geteuid, 108 getegid, 109 setpgid, 110 getppid, 111 getpgrp, 115 getgroups,',
    '118 getresuid, 120 getresgid, 121 getpgid, 124 getsid, 128 rt_sigtimedwait, 131 sigaltstack,',
    '137 statfs, 138 fstatfs, 140 getpriority, 141 setpriority, 143 sched_getparam,',
    '144 sched_setscheduler, 145 sched_getscheduler, 146 sched_get_priority_max,',
    '147 sched_get_priority_min, 158 arch_prctl, 186 gettid, 201 time, 202 futex, 203 sched_setaffinity,',
    '204 sched_getaffinity, 217 getdents64, 218 set_tid_address, 219 restart_syscall, 221 fadvise64,',
    '228 clock_gettime, 229 clock_getres, 230 clock_nanosleep, 231 exit_group, 232 epoll_wait,',
    '233 epoll_ctl, 234 tgkill, 239 get_mempolicy, 247 waitid, 257 openat, 258 mkdirat, 262 newfstatat,',
    '263 unlinkat, 264 renameat, 265 linkat, 266 symlinkat, 267 readlinkat, 268 fchmodat, 269 faccessat,',
    '270 pselect6, 271 ppoll, 273 set_robust_list, 280 utimensat, 281 epoll_pwait, 285 fallocate,',
    '288 accept4, 290 eventfd2, 291 epoll_create1, 292 dup3, 293 pipe2, 295 preadv, 296 pwritev,',
    '302 prlimit64, 307 sendmmsg, 309 getcpu, 316 renameat2, 318 getrandom, 324 membarrier,',
    '326 copy_file_range, 327 preadv2, 328 pwritev2, 332 statx, 334 rseq, 436 close_range, 439 faccessat2,',
    '441 epoll_pwait2',
  ],
  EPERM: [
    '29 shmget, 30 shmat, 31 shmctl, 64 semget, 65 semop, 66 semctl, 67 shmdt, 68 msgget, 69 msgsnd,',
    '70 msgrcv, 71 msgctl, 101 ptrace, 103 syslog, 134 uselib, 135 personality, 153 vhangup,',
    '154 modify_ldt, 155 pivot_root, 159 adjtimex, 161 chroot, 163 acct, 164 settimeofday, 165 mount,',
    '166 umount2, 167 swapon, 168 swapoff, 169 reboot, 170 sethostname, 171 setdomainname, 172 iopl,',
    '173 ioperm, 175 init_module, 176 delete_module, 179 quotactl, 206 io_setup, 207 io_destroy,',
    '208 io_getevents, 209 io_submit, 210 io_cancel, 212 lookup_dcookie, 220 semtimedop,',
    '227 clock_settime, 240 mq_open, 241 mq_unlink, 242 mq_timedsend, 243 mq_timedreceive, 244 mq_notify,',
    '245 mq_getsetattr, 246 kexec_load, 248 add_key, 249 request_key, 250 keyctl, 253 inotify_init,',
    '254 inotify_add_watch, 255 inotify_rm_watch, 272 unshare, 294 inotify_init1, 298 perf_event_open,',
    '300 fanotify_init, 301 fanotify_mark, 303 name_to_handle_at, 304 open_by_handle_at,',
    '305 clock_adjtime, 308 setns, 310 process_vm_readv, 311 process_vm_writev, 312 kcmp,',
    '313 finit_module, 319 memfd_create, 320 kexec_file_load, 321 bpf, 323 userfaultfd, 333 io_pgetevents,',
    '425 io_uring_setup, 426 io_uring_enter, 427 io_uring_register, 428 open_tree, 429 move_mount,',
    '430 fsopen, 431 fsconfig, 432 fsmount, 433 fspick, 438 pidfd_getfd, 440 process_madvise,',
    '442 mount_setattr, 443 quotactl_fd, 447 memfd_secret, 467 open_tree_attr',
  ],
  ENOTTY: ['16 ioctl'],
  EAFNOSUPPORT: ['41 socket, 53 socketpair'],
  ENOLCK: ['73 flock'],
  EINVAL: ['157 prctl, 317 seccomp'],
};

const ERRNO_NAMES: Record<number, string> = {
  [EPERM]: 'EPERM',
  [EINVAL]: 'EINVAL',
  [ENOTTY]: 'ENOTTY',
  [ENOLCK]: 'ENOLCK',
  [ENOSYS]: 'ENOSYS',
  [EPROTONOSUPPORT]: 'EPROTONOSUPPORT',
  [ESOCKTNOSUPPORT]: 'ESOCKTNOSUPPORT',
  [EAFNOSUPPORT]: 'EAFNOSUPPORT',
};
const label = (v: Verdict): string => (typeof v === 'number' ? (ERRNO_NAMES[v] ?? `errno ${v}`) : v.toUpperCase());

describe('the seccomp allow-list', () => {
  it('fits the kernel: at most 4096 instructions, every jump inside the program, ending in a return', () => {
    assert.ok(program.length <= BPF_MAX_INSNS, `${program.length} instructions`);
    assert.deepEqual(jumpTargetsInside(program), []);
    assert.equal(program.at(-1)?.code, 0x06);
  });

  it('decides every number 0…MAX+10 exactly as the pinned table says (ENOSYS for the rest)', () => {
    const expected = new Map<number, string>();
    for (const [action, lines] of Object.entries(DECISIONS)) {
      for (const entry of lines.join(' ').split(',')) {
        const [n, name] = entry.trim().split(' ');
        assert.equal(SYSCALLS_X64[name as SyscallName], Number(n), `the table names ${entry.trim()}`);
        expected.set(Number(n), action);
      }
    }
    const wrong: string[] = [];
    for (let n = 0; n <= MAX_SYSCALL_X64 + 10; n++) {
      const got = label(verdict(runFilter(program, { nr: n })));
      const want = expected.get(n) ?? 'ENOSYS';
      if (got !== want) wrong.push(`${n}: ${got}, expected ${want}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('names each allowed call once, measured or with a reason, and the tables agree with the program', () => {
    const table = decisionTable();
    assert.equal(table.length, MAX_SYSCALL_X64 + 1);
    for (const name of MEASURED_SYSCALLS) assert.equal(call(name), 'allow', name);
    for (const [name, why] of Object.entries(MARGIN_SYSCALLS)) {
      assert.equal(call(name as SyscallName), 'allow', name);
      assert.ok(why && why.length > 10, `${name} needs a reason`);
    }
    for (const name of Object.keys(DANGEROUS_SYSCALLS)) assert.equal(call(name as SyscallName), EPERM, name);
    assert.equal(new Set(MEASURED_SYSCALLS).size, MEASURED_SYSCALLS.length);
  });

  it('refuses with EPERM the calls the attacks used and the usual doors out', () => {
    const doors: SyscallName[] = [
      'io_setup',
      'io_submit',
      'io_getevents',
      'io_destroy',
      'io_cancel',
      'io_pgetevents',
      'inotify_init',
      'inotify_init1',
      'inotify_add_watch',
      'fanotify_init',
      'fanotify_mark',
      'mq_open',
      'mq_unlink',
      'mq_timedsend',
      'mq_timedreceive',
      'mq_notify',
      'mq_getsetattr',
      'memfd_create',
      'memfd_secret',
      'modify_ldt',
      'pidfd_getfd',
      'kcmp',
      'personality',
      'shmget',
      'shmat',
      'shmctl',
      'shmdt',
      'msgget',
      'msgsnd',
      'msgrcv',
      'msgctl',
      'semget',
      'semop',
      'semctl',
      'semtimedop',
      'add_key',
      'keyctl',
      'request_key',
      'io_uring_setup',
      'io_uring_enter',
      'io_uring_register',
      'bpf',
      'perf_event_open',
      'userfaultfd',
      'ptrace',
      'process_vm_readv',
      'process_vm_writev',
      'mount',
      'umount2',
      'pivot_root',
      'fsopen',
      'fsmount',
      'move_mount',
      'open_tree',
      'unshare',
      'setns',
      'kexec_load',
      'kexec_file_load',
      'init_module',
      'finit_module',
      'delete_module',
      'open_by_handle_at',
    ];
    for (const name of doors) assert.equal(call(name, 1, 2, 3, 4, 5, 6), EPERM, name);
  });

  it('answers flock with ENOLCK, clone3 with ENOSYS (glibc then uses clone), and unknown calls with ENOSYS', () => {
    assert.equal(call('flock', 3, 2), ENOLCK);
    assert.equal(call('clone3', 0x7fff0000, 88), ENOSYS);
    for (const name of [
      'fork',
      'execveat',
      'pidfd_open',
      'tkill',
      'setuid',
      'sync',
      'landlock_create_ruleset',
    ] as const)
      assert.equal(call(name), ENOSYS, name);
  });

  it('kills a process of another architecture, and refuses the x32 ABI with ENOSYS', () => {
    for (const arch of [
      0x40000003 /* i386 */, 0xc00000b7 /* aarch64 */, 0x4000003e /* x86_64 without the 64-bit bit */, 0,
    ]) {
      for (const n of [0, 1, 59, 231])
        assert.equal(verdict(runFilter(program, { nr: n, arch })), 'kill', `arch 0x${arch.toString(16)} nr ${n}`);
    }
    for (let n = 0; n <= 547; n++)
      assert.equal(verdict(runFilter(program, { nr: 0x40000000 + n })), ENOSYS, `x32 ${n}`);
    for (const n of [0x7fffffff, 0x80000000, 0xffffffff])
      assert.equal(verdict(runFilter(program, { nr: n })), ENOSYS, `nr 0x${n.toString(16)}`);
  });
});

describe('the argument rules', () => {
  // socket(domain, type, protocol), restated.
  const expectSocket = (domain: number, type: number, protocol: number): Verdict => {
    if (![1, 2, 10].includes(domain)) return EAFNOSUPPORT;
    const t = type & 0xf;
    if (!(t === 1 || t === 2 || (domain === 1 && t === 5))) return ESOCKTNOSUPPORT;
    if (![0, 6, 17].includes(protocol)) return EPROTONOSUPPORT;
    return 'allow';
  };

  it('lets socket and socketpair make only Unix, IPv4 and IPv6 stream/datagram sockets with TCP, UDP or the default', () => {
    const wrong: string[] = [];
    for (const name of ['socket', 'socketpair'] as const) {
      for (let domain = 0; domain <= 45; domain++) {
        for (const type of [0, 1, 2, 3, 4, 5, 6, 10, 15]) {
          for (const flags of [0, 0x800 /* NONBLOCK */, 0x80000 /* CLOEXEC */, 0x80800]) {
            for (const protocol of [0, 1, 6, 17, 41, 132, 136, 255, 256, 262]) {
              const got = call(name, domain, type | flags, protocol);
              const want = expectSocket(domain, type, protocol);
              if (got !== want)
                wrong.push(`${name}(${domain}, ${type | flags}, ${protocol}): ${label(got)}, expected ${label(want)}`);
            }
          }
        }
      }
    }
    assert.deepEqual(wrong, []);
    // The findings, by name.
    assert.equal(call('socket', 40 /* AF_VSOCK */, 1, 0), EAFNOSUPPORT);
    assert.equal(call('socket', 40, 5 /* SEQPACKET */, 0), EAFNOSUPPORT);
    assert.equal(call('socket', 16 /* AF_NETLINK */, 3, 0), EAFNOSUPPORT);
    assert.equal(call('socket', 17 /* AF_PACKET */, 3, 0x300), EAFNOSUPPORT);
    assert.equal(call('socket', 2, 1, 262 /* MPTCP */), EPROTONOSUPPORT);
    assert.equal(call('socket', 10, 1, 262), EPROTONOSUPPORT);
    assert.equal(call('socket', 2, 5, 132 /* SCTP */), ESOCKTNOSUPPORT);
    assert.equal(call('socket', 2, 2, 1 /* ping socket */), EPROTONOSUPPORT);
    assert.equal(call('socket', 2, 3 /* RAW */, 1), ESOCKTNOSUPPORT);
    assert.equal(call('socket', 1, 5, 0), 'allow');
  });

  it('refuses socket arguments whose high 32 bits are set, though the kernel would ignore them', () => {
    const high = 1n << 32n;
    assert.equal(call('socket', high | 2n, 1, 6), EAFNOSUPPORT);
    assert.equal(call('socket', 2, high | 1n, 6), ESOCKTNOSUPPORT);
    assert.equal(call('socket', 2, 1, high | 6n), EPROTONOSUPPORT);
    assert.equal(call('socket', 2, 1, 0xffffffff00000000n | 6n), EPROTONOSUPPORT);
  });

  it('lets clone start threads and processes but no namespace, whatever the high word', () => {
    const thread = 0x3d0f00; // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
    const fork = 0x01200011; // CLONE_CHILD_SETTID|CHILD_CLEARTID|SIGCHLD
    assert.equal(call('clone', thread), 'allow');
    assert.equal(call('clone', fork), 'allow');
    assert.equal(call('clone', 0x4111 /* vfork-style: CLONE_VM|CLONE_VFORK|SIGCHLD */), 'allow');
    for (const [flag, ns] of [
      [0x00020000, 'NEWNS'],
      [0x02000000, 'NEWCGROUP'],
      [0x04000000, 'NEWUTS'],
      [0x08000000, 'NEWIPC'],
      [0x10000000, 'NEWUSER'],
      [0x20000000, 'NEWPID'],
      [0x40000000, 'NEWNET'],
    ] as const) {
      assert.equal(call('clone', flag), EPERM, ns);
      assert.equal(call('clone', flag | thread), EPERM, `${ns} with thread flags`);
      assert.equal(call('clone', flag | fork), EPERM, `${ns} with fork flags`);
      assert.equal(call('clone', 0xffffffff00000000n | BigInt(flag)), EPERM, `${ns} with the high word set`);
    }
    // The kernel reads only the low word of clone's flags (lower_32_bits), as the filter does.
    assert.equal(call('clone', 0xffffffff00000000n | BigInt(thread)), 'allow');
    // CLONE_NEWTIME (0x80) is an exit-signal bit for clone(); it names a time namespace only in clone3.
    assert.equal(call('clone', 0x80), 'allow');
  });

  it('lets ioctl through for the measured requests and a few harmless ones; ENOTTY for the rest', () => {
    const allowed = new Set([
      0x5401 /* TCGETS */, 0x5413 /* TIOCGWINSZ */, 0x541b /* FIONREAD */, 0x5421 /* FIONBIO */, 0x5450 /* FIONCLEX */,
      0x5451 /* FIOCLEX */, 0x8921 /* SIOCGIFMTU */, 0x8933 /* SIOCGIFINDEX */,
    ]);
    const requests = [
      ...allowed,
      0x5412 /* TIOCSTI */,
      0x541c /* TIOCLINUX */,
      0x5410 /* TIOCSPGRP */,
      0x540e /* TIOCSCTTY */,
      0x40049409 /* FICLONE */,
      0x8916 /* SIOCSIFADDR */,
      0x5402 /* TCSETS */,
      0x4b3a /* KDSETMODE */,
      0xc0306201 /* binder */,
      0,
      1,
      0xffffffff,
    ];
    for (let r = 0x5400; r <= 0x5460; r++) requests.push(r);
    for (const r of requests)
      assert.equal(call('ioctl', 0, r, 0), allowed.has(r) ? 'allow' : ENOTTY, `request 0x${r.toString(16)}`);
    assert.equal(call('ioctl', 0, (1n << 32n) | 0x5401n), ENOTTY, 'TCGETS with the high word set');
  });

  it('lets fcntl through except record locks (ENOLCK), leases and F_NOTIFY (EPERM) and unknown commands (EINVAL)', () => {
    const allowed = new Set([0, 1, 2, 3, 4, 1030]);
    const locks = new Set([5, 6, 7, 36, 37, 38]);
    const refused = new Set([1024, 1025, 1026]);
    for (let cmd = 0; cmd <= 1100; cmd++) {
      const want = allowed.has(cmd) ? 'allow' : locks.has(cmd) ? ENOLCK : refused.has(cmd) ? EPERM : EINVAL;
      assert.equal(call('fcntl', 3, cmd, 0), want, `fcntl command ${cmd}`);
    }
    assert.equal(call('fcntl', 3, (1n << 32n) | 1n), EINVAL, 'F_GETFD with the high word set');
    assert.equal(call('fcntl', 3, (1n << 32n) | 6n), EINVAL, 'F_SETLK with the high word set is still refused');
  });

  it('lets prctl through for thread names, no_new_privs and seccomp only; EINVAL for the rest', () => {
    const allowed = new Set([
      15 /* SET_NAME */, 16 /* GET_NAME */, 21 /* GET_SECCOMP */, 22 /* SET_SECCOMP */, 38 /* SET_NO_NEW_PRIVS */,
      39 /* GET_NO_NEW_PRIVS */,
    ]);
    for (let option = 0; option <= 80; option++)
      assert.equal(call('prctl', option, 0), allowed.has(option) ? 'allow' : EINVAL, `prctl option ${option}`);
    for (const option of [0x53564d41 /* PR_SET_VMA */, 0x59616d61 /* PR_SET_PTRACER */, 1499557217, 0xffffffff])
      assert.equal(call('prctl', option), EINVAL, `prctl option 0x${option.toString(16)}`);
    assert.equal(call('prctl', (1n << 32n) | 15n), EINVAL, 'PR_SET_NAME with the high word set');
  });

  it('lets seccomp() add filters and query actions only', () => {
    for (let op = 0; op <= 5; op++)
      assert.equal(call('seccomp', op, 0, 0), op === 1 || op === 2 ? 'allow' : EINVAL, `seccomp op ${op}`);
    assert.equal(call('seccomp', (1n << 32n) | 1n), EINVAL);
  });
});

describe('log mode', () => {
  const logged = seccompProgramX64('log');

  it('is the same program with SECCOMP_RET_LOG in place of every refusal and kill', () => {
    assert.equal(logged.length, program.length);
    logged.forEach((insn, i) => {
      const enforced = program[i];
      assert.ok(enforced);
      if (insn.code === 0x06 && enforced.k !== 0x7fff0000) assert.equal(insn.k, 0x7ffc0000, `instruction ${i}`);
      else assert.deepEqual(insn, enforced, `instruction ${i}`);
    });
  });

  it('allows what enforce allows and logs everything else', () => {
    const cases = [
      ...Array.from({ length: MAX_SYSCALL_X64 + 11 }, (_, n) => ({ nr: n })),
      { nr: nr('socket'), args: [40n, 1n, 0n] },
      { nr: nr('socket'), args: [2n, 1n, 6n] },
      { nr: nr('ioctl'), args: [0n, 0x5412n] },
      { nr: 1, arch: 0x40000003 },
      { nr: 0x40000001 },
    ];
    for (const c of cases) {
      const enforced = verdict(runFilter(program, c));
      assert.equal(
        verdict(runFilter(logged, c)),
        enforced === 'allow' ? 'allow' : 'log',
        JSON.stringify(c, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      );
    }
  });
});

describe('the filter as bwrap reads it', () => {
  it('serialises as struct sock_filter, 8 bytes per instruction, little-endian', () => {
    const buf = seccompFilter('x64');
    assert.ok(buf);
    assert.equal(buf.length, program.length * 8);
    assert.deepEqual(decode(buf), program);
    assert.equal(buf.readUInt16LE(0), 0x20); // ld [arch]
    assert.equal(buf.readUInt32LE(4), 4);
    assert.deepEqual(decode(seccompFilter('x64', 'log') ?? Buffer.alloc(0)), seccompProgramX64('log'));
  });

  it('is no filter at all with SANDBOX_SECCOMP=off or on another architecture, and says so', () => {
    assert.equal(seccompFilter('x64', 'off'), null);
    assert.equal(seccompFilter('arm64'), null);
    assert.equal(seccompWarning('x64', 'enforce'), null);
    assert.match(seccompWarning('x64', 'off') ?? '', /SANDBOX_SECCOMP=off: no seccomp filter/);
    assert.match(seccompWarning('x64', 'log') ?? '', /SANDBOX_SECCOMP=log: .* refuses nothing/);
    assert.match(seccompWarning('arm64', 'enforce') ?? '', /no seccomp filter for arm64/);
  });
});

describe('the BPF assembler', () => {
  it('resolves labels to forward offsets', () => {
    const a = new Assembler();
    a.ld(0).jeq(1, 'yes', 'no').label('no').ret(0).label('yes').ret(1);
    assert.deepEqual(a.assemble(), [
      { code: 0x20, jt: 0, jf: 0, k: 0 },
      { code: 0x15, jt: 1, jf: 0, k: 1 },
      { code: 0x06, jt: 0, jf: 0, k: 0 },
      { code: 0x06, jt: 0, jf: 0, k: 1 },
    ]);
    assert.deepEqual(decode(encode(a.assemble())), a.assemble());
  });

  it('refuses what the kernel would: backward or unknown targets, conditional jumps over 255, no final return', () => {
    assert.throws(() => new Assembler().label('top').ld(0).jeq(1, 'top').ret(0).assemble(), /back to 'top'/);
    assert.throws(() => new Assembler().ld(0).jeq(1, 'nowhere').ret(0).assemble(), /'nowhere' is never defined/);
    const far = new Assembler().ld(0).jeq(1, 'end');
    for (let i = 0; i < 256; i++) far.ret(0);
    assert.throws(() => far.label('end').ret(1).assemble(), /is 256 instructions; at most 255/);
    assert.throws(() => new Assembler().ld(0).assemble(), /must end with a return/);
    assert.throws(() => new Assembler().label('x').label('x'), /defined twice/);
  });
});
