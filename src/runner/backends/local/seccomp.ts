// A seccomp filter (classic BPF, as `bwrap --seccomp FD` takes it) that denies the system calls a C#
// program never needs and that are the usual doors out of a namespace sandbox: kernel keyrings (not
// namespaced), io_uring (it can create sockets of any family and has a long CVE list), bpf,
// perf_event_open, userfaultfd (a tool for kernel race exploits), ptrace and process_vm_*, module
// loading, kexec, mount-family calls, namespace changes (unshare, setns), open_by_handle_at (the
// classic container escape), and TIOCSTI (typing into the parent's terminal). It is a deny list, as
// isolate's and Compiler Explorer's experience recommends: an allow list breaks the runtime in odd ways.
// Built in TypeScript, not with libseccomp, so the exact program is unit-tested.

/** x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
export const DENIED_SYSCALLS_X64: Readonly<Record<string, number>> = {
  ptrace: 101,
  syslog: 103,
  personality: 135,
  pivot_root: 155,
  acct: 163,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  init_module: 175,
  delete_module: 176,
  quotactl: 179,
  lookup_dcookie: 212,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  fanotify_init: 300,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
};

const SYS_IOCTL_X64 = 16;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const AUDIT_ARCH_X86_64 = 0xc000003e;
/** x32 ABI calls on x86_64 have this bit set; the whole ABI is refused. */
const X32_SYSCALL_BIT = 0x40000000;

const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const EPERM = 1;

// struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG1_LO = 16 + 8; // args[1], low 32 bits on little-endian

// BPF opcodes
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_RET_K = 0x06;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** The filter program for x86_64, as instructions (exported for tests). */
export function seccompProgramX64(): Insn[] {
  const denied = Object.values(DENIED_SYSCALLS_X64);
  const p: Insn[] = [];
  const ins = (code: number, k: number, jt = 0, jf = 0): void => {
    p.push({ code, jt, jf, k });
  };
  // Layout (indices): 0 ld arch; 1 jeq x86_64 ? 2 : KILL; 2 ld nr; 3 jge x32 ? ERRNO : 4;
  // then one jeq per denied call (→ ERRNO); then ioctl → arg check; then ALLOW, ERRNO, KILL.
  const n = denied.length;
  const allowAt = 4 + n + 4; // after the ioctl block (jeq ioctl, ld arg1, jeq TIOCSTI, jeq TIOCLINUX)
  const errnoAt = allowAt + 1;
  const killAt = allowAt + 2;
  ins(BPF_LD_W_ABS, OFF_ARCH);
  ins(BPF_JEQ_K, AUDIT_ARCH_X86_64, 0, killAt - 2);
  ins(BPF_LD_W_ABS, OFF_NR);
  ins(BPF_JGE_K, X32_SYSCALL_BIT, errnoAt - 4, 0);
  denied.forEach((nr, i) => {
    const at = 4 + i;
    ins(BPF_JEQ_K, nr, errnoAt - at - 1, 0);
  });
  const ioctlAt = 4 + n;
  ins(BPF_JEQ_K, SYS_IOCTL_X64, 0, allowAt - ioctlAt - 1);
  ins(BPF_LD_W_ABS, OFF_ARG1_LO);
  ins(BPF_JEQ_K, TIOCSTI, errnoAt - (ioctlAt + 2) - 1, 0);
  ins(BPF_JEQ_K, TIOCLINUX, errnoAt - (ioctlAt + 3) - 1, 0);
  ins(BPF_RET_K, SECCOMP_RET_ALLOW);
  ins(BPF_RET_K, SECCOMP_RET_ERRNO | EPERM);
  ins(BPF_RET_K, SECCOMP_RET_KILL_PROCESS);
  return p;
}

/** The filter as bwrap reads it from its fd: struct sock_filter[] in native (little-endian) order. */
export function seccompFilter(nodeArch: string): Buffer | null {
  if (nodeArch !== 'x64') return null;
  const program = seccompProgramX64();
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}
