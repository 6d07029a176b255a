// Sweeps the real kernel with the real filter: one C# program, run through the real sandbox, calls
// syscall(nr, …) for every number the filter refuses (0…MAX and a few beyond, and the x32 ABI) and for
// the argument cases (socket families and protocols, clone's namespace flags, ioctl requests, fcntl
// commands, prctl options, seccomp operations), and prints what came back. The expected answer of each
// comes from the filter bytes the service installs, run through the BPF interpreter (test/support/bpf.ts):
// so this checks that the kernel does what the unit-tested model says. Numbers the filter allows are
// never called with junk arguments (they could exit, fork or hang the program); a few allowed calls with
// arguments the kernel itself rejects show that they are not blocked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decode } from '../../src/runner/backends/local/seccomp/bpf.js';
import {
  KERNEL_UNFILTERED,
  MAX_SYSCALL_X64,
  seccompFilter,
  SYSCALLS_X64,
  type SyscallName,
} from '../../src/runner/backends/local/seccomp.js';
import { runFilter, verdict } from '../support/bpf.js';
import { show, startTestRunner, type TestRunner } from '../support/runner.js';

const EPERM = 1;
const EBADF = 9;
const EFAULT = 14;
const EINVAL = 22;
const ENOSYS = 38;

/**
 * The runner host's own filter, installed in-process before the user's code (filters stack; the kernel
 * returns the most restrictive action, and of two errno actions the newer filter's errno). Where it
 * refuses a number the outer filter also refuses, the program may see either errno, depending on
 * whether the runner host in use has it yet: the sweep accepts both for exactly these numbers.
 */
export const INNER_OVERRIDES: Readonly<Partial<Record<SyscallName, number>>> = {
  execve: EPERM,
  execveat: EPERM,
  fork: EPERM,
  vfork: EPERM,
  ptrace: EPERM,
  process_vm_readv: EPERM,
  process_vm_writev: EPERM,
  kcmp: EPERM,
  pidfd_open: EPERM,
  pidfd_getfd: EPERM,
  memfd_create: EPERM,
  memfd_secret: EPERM,
  modify_ldt: EPERM,
  personality: EPERM,
  tkill: EPERM, // to pid 1 only; the sweep's first argument is -1, so only the outer answer is expected here
  clone3: ENOSYS,
};
const innerByNumber = new Map<number, number | undefined>(
  Object.entries(INNER_OVERRIDES).map(([name, errno]) => [SYSCALLS_X64[name as SyscallName], errno]),
);

const program = decode(seccompFilter('x64', 'enforce') ?? Buffer.alloc(0));
const nr = (name: SyscallName): number => SYSCALLS_X64[name];

interface Case {
  what: string;
  nr: number;
  args: bigint[];
  /**
   * What the kernel answers a call the filter allows (these arguments are invalid on purpose), or
   * 'unfiltered' for a number the kernel does not show the filter (any failure will do).
   */
  kernel?: { errno: number } | { ret: number } | 'unfiltered';
}

/** -1 as the first argument (an invalid fd, pid or flag set), zeros after it. */
const JUNK = [-1n, 0n, 0n, 0n, 0n, 0n];

function cases(): Case[] {
  const out: Case[] = [];
  const unfiltered = new Set(KERNEL_UNFILTERED.map(nr));
  for (let n = 0; n <= MAX_SYSCALL_X64 + 5; n++) {
    if (unfiltered.has(n) || verdict(runFilter(program, { nr: n, args: JUNK })) === 'allow') continue;
    out.push({ what: `nr ${n}`, nr: n, args: JUNK });
  }
  for (const n of [0, 1, 39, 60, 231]) out.push({ what: `x32 nr ${n}`, nr: 0x40000000 + n, args: JUNK });

  const add = (what: string, name: SyscallName, args: (number | bigint)[], kernel?: Case['kernel']): void => {
    out.push({ what, nr: nr(name), args: [...args.map(BigInt), 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6), kernel });
  };
  for (let family = 0; family <= 45; family++)
    if (![1, 2, 10].includes(family)) add(`socket family ${family}`, 'socket', [family, 1, 0]);
  add('AF_VSOCK seqpacket', 'socket', [40, 5, 0]);
  add('AF_VSOCK socketpair', 'socketpair', [40, 1, 0, 0]);
  add('AF_PACKET raw', 'socket', [17, 3, 0x300]);
  add('MPTCP v4', 'socket', [2, 1, 262]);
  add('MPTCP v6', 'socket', [10, 1, 262]);
  add('SCTP seqpacket', 'socket', [2, 5, 132]);
  add('ICMP ping socket', 'socket', [2, 2, 1]);
  add('raw IPv4', 'socket', [2, 3, 1]);
  add('raw Unix', 'socket', [1, 3, 0]);
  add('AF_INET with the high word set', 'socket', [(1n << 32n) | 2n, 1, 6]);
  // Allowed by the filter: the kernel refuses the extra type flag 0x100 with EINVAL.
  add('TCP socket, bad flag (kernel refuses)', 'socket', [2, 1 | 0x100, 6], { errno: EINVAL });
  add('Unix seqpacket, bad flag (kernel refuses)', 'socket', [1, 5 | 0x100, 0], { errno: EINVAL });
  add('UDP socketpair, bad flag (kernel refuses)', 'socketpair', [2, 2 | 0x100, 17, 0], { errno: EINVAL });

  for (const [flag, ns] of [
    [0x00020000, 'NEWNS'],
    [0x02000000, 'NEWCGROUP'],
    [0x04000000, 'NEWUTS'],
    [0x08000000, 'NEWIPC'],
    [0x10000000, 'NEWUSER'],
    [0x20000000, 'NEWPID'],
    [0x40000000, 'NEWNET'],
  ] as const) {
    add(`clone CLONE_${ns}`, 'clone', [flag | 17]);
  }
  add('clone3', 'clone3', [0, 0]);

  for (const [request, name] of [
    [0x5412, 'TIOCSTI'],
    [0x541c, 'TIOCLINUX'],
    [0x5410, 'TIOCSPGRP'],
    [0x540e, 'TIOCSCTTY'],
    [0x40049409, 'FICLONE'],
    [0x8916, 'SIOCSIFADDR'],
  ] as const) {
    add(`ioctl ${name}`, 'ioctl', [0, request, 0]);
  }
  add('ioctl TCGETS on -1 (kernel refuses)', 'ioctl', [-1, 0x5401, 0], { errno: EBADF });
  add('ioctl FIONREAD on -1 (kernel refuses)', 'ioctl', [-1, 0x541b, 0], { errno: EBADF });

  for (const [cmd, name] of [
    [5, 'F_GETLK'],
    [6, 'F_SETLK'],
    [7, 'F_SETLKW'],
    [36, 'F_OFD_GETLK'],
    [37, 'F_OFD_SETLK'],
    [38, 'F_OFD_SETLKW'],
    [1024, 'F_SETLEASE'],
    [1025, 'F_GETLEASE'],
    [1026, 'F_NOTIFY'],
    [8, 'F_SETOWN'],
    [10, 'F_SETSIG'],
    [1033, 'F_ADD_SEALS'],
  ] as const) {
    add(`fcntl ${name}`, 'fcntl', [-1, cmd, 0]);
  }
  add('fcntl F_GETFD on -1 (kernel refuses)', 'fcntl', [-1, 1], { errno: EBADF });
  add('fcntl F_SETFL on -1 (kernel refuses)', 'fcntl', [-1, 4, 0], { errno: EBADF });
  add('flock on -1', 'flock', [-1, 1]);

  for (const [option, name] of [
    [1, 'PR_SET_PDEATHSIG'],
    [3, 'PR_GET_DUMPABLE'],
    [4, 'PR_SET_DUMPABLE'],
    [23, 'PR_CAPBSET_READ'],
    [36, 'PR_SET_CHILD_SUBREAPER'],
    [0x59616d61, 'PR_SET_PTRACER'],
    [0x53564d41, 'PR_SET_VMA'],
  ] as const) {
    add(`prctl ${name}`, 'prctl', [option, 0]);
  }
  add('prctl PR_GET_NO_NEW_PRIVS (allowed: 1)', 'prctl', [39], { ret: 1 });
  add('prctl PR_GET_NAME to NULL (kernel refuses)', 'prctl', [16, 0], { errno: EFAULT });

  add('seccomp SECCOMP_GET_NOTIF_SIZES', 'seccomp', [3, 0, 0]);
  add('seccomp SECCOMP_GET_ACTION_AVAIL of NULL (kernel refuses)', 'seccomp', [2, 0, 0], { errno: EFAULT });
  add('seccomp SECCOMP_SET_MODE_FILTER of NULL (kernel refuses)', 'seccomp', [1, 0, 0], { errno: EFAULT });

  for (const name of ['close', 'read', 'write', 'fstat', 'lseek', 'dup', 'fsync', 'getdents64', 'fchmod'] as const) {
    add(`${name}(-1) (kernel refuses)`, name, [-1, 0, 0], { errno: EBADF });
  }
  add('clock_gettime of clock 99 (kernel refuses)', 'clock_gettime', [99, 0], { errno: EINVAL });
  // Last, in case a kernel answers them with SIGILL: the filter cannot refuse these, the kernel does.
  for (const name of KERNEL_UNFILTERED) add(`${name}, which the kernel does not filter`, name, [], 'unfiltered');
  return out;
}

/** One C# program that makes every call and prints "index result errno" for each. */
function sweepProgram(list: readonly Case[]): string {
  const literal = (v: bigint): string => {
    const s = BigInt.asIntN(64, v);
    return s === -(1n << 63n) ? 'long.MinValue' : String(s);
  };
  const rows = list.map((c) => `  [${[BigInt(c.nr), ...c.args].map(literal).join(', ')}],`).join('\n');
  return `using System.Runtime.InteropServices;
long[][] cases =
[
${rows}
];
for (int i = 0; i < cases.Length; i++)
{
    var c = cases[i];
    long r = syscall(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    int e = r == -1 ? Marshal.GetLastPInvokeError() : 0;
    Console.WriteLine($"{i} {r} {e}");
}
Console.WriteLine("done");
[DllImport("libc", SetLastError = true)] static extern long syscall(long n, long a, long b, long c, long d, long e, long f);
`;
}

let t: TestRunner;

before(async () => {
  t = await startTestRunner({ SANDBOX_SECCOMP: 'enforce' });
});

after(async () => {
  await t?.stop();
});

describe('the seccomp filter in the real kernel', () => {
  it('answers every refused number and argument case as the model predicts, and lets the allowed ones through', async () => {
    const list = cases();
    const r = await t.run(sweepProgram(list), { timeoutMs: 20_000 });
    assert.equal(r.status, 'ok', show(r));
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'done', show(r));
    const wrong: string[] = [];
    let checked = 0;
    for (const line of lines.slice(0, -1)) {
      const [i, ret, errno] = line.split(' ').map(Number);
      const c = list[i ?? -1];
      if (!c || ret === undefined || errno === undefined) {
        wrong.push(`unreadable line '${line}'`);
        continue;
      }
      checked++;
      const model = verdict(runFilter(program, { nr: c.nr, args: c.args }));
      const k = c.kernel;
      if (k === 'unfiltered') {
        if (ret !== -1 || errno === 0) wrong.push(`${c.what}: got ${ret} errno ${errno}, expected a failure`);
        continue;
      }
      if (model === 'allow') {
        if (!k) wrong.push(`${c.what}: the model allows it, and the sweep has no kernel answer for it`);
        else if ('ret' in k ? ret !== k.ret : ret !== -1 || errno !== k.errno)
          wrong.push(`${c.what}: got ${ret} errno ${errno}, expected the kernel's ${JSON.stringify(k)}`);
        continue;
      }
      if (typeof model !== 'number') {
        wrong.push(`${c.what}: the model says ${model}`);
        continue;
      }
      const accepted = new Set([model, innerByNumber.get(c.nr) ?? model]);
      if (ret !== -1 || !accepted.has(errno))
        wrong.push(`${c.what}: got ${ret} errno ${errno}, expected -1 errno ${[...accepted].join(' or ')}`);
    }
    assert.equal(checked, list.length, 'the program answered every case');
    assert.deepEqual(wrong, []);
  });
});
