using System.Runtime.InteropServices;
using System.Text;

namespace Sharpbox.Host;

// A second seccomp filter the host installs on itself before any user code, and the compile server
// before it reads any source. The outer filter (src/runner/backends/local/seccomp.ts, given to bwrap) is
// the service's list for everything in the sandbox, including bwrap's and tini's set-up; this one only
// narrows, for the one process that then runs hostile code: filters stack, and the kernel applies the
// strictest answer, so nothing here can loosen the outer filter.
//
// Once the runtime is up, a C# program never needs another process. Everything below is about a new
// process (exec, fork) or about reaching into another one (ptrace, pidfds, signals to our init). Threads
// stay allowed: the GC, the thread pool, timers and every Task need them.
//
// The table, to mirror in TypeScript. It is also container/host/lockdown.json, which the TypeScript side
// reads; `sharpbox-host lockdown-table` prints the one built from the code below, and
// test/unit/lockdown.test.ts checks that the two agree (this comment is kept by hand):
//   x86_64 nr  name               answer
//   59         execve             EPERM (1)
//   322        execveat           EPERM
//   57         fork               EPERM
//   58         vfork              EPERM
//   101        ptrace             EPERM
//   310        process_vm_readv   EPERM
//   311        process_vm_writev  EPERM
//   312        kcmp               EPERM
//   434        pidfd_open         EPERM
//   438        pidfd_getfd        EPERM
//   319        memfd_create       EPERM
//   447        memfd_secret       EPERM
//   154        modify_ldt         EPERM
//   135        personality        EPERM
//   435        clone3             ENOSYS (38)
//   56         clone              EPERM unless args[0] has CLONE_THREAD (0x00010000)   "clone_needs_thread"
//   62/200/234 kill/tkill/tgkill  EPERM when (int)args[0] == 1                         "kill_pid1"
// Any other architecture in seccomp_data → KILL_PROCESS; the x32 ABI (nr bit 0x40000000) → ENOSYS, as the outer filter answers it (the newer filter's errno wins).
// Everything else → ALLOW.
internal static class SeccompLockdown
{
    private const int EPERM = 1;
    private const int ENOSYS = 38;

    /// <summary>System calls answered with an errno whatever their arguments (x86_64 numbers).</summary>
    public static readonly IReadOnlyList<(string Name, int Nr, int Errno)> Denied =
    [
        // A new program image is the way out of everything the runtime enforces; nothing in a C# program
        // needs one after start-up (Process.Start fails with an exception, as it should).
        ("execve", 59, EPERM),
        ("execveat", 322, EPERM),
        // A new process: it would outlive nothing (the pid namespace dies with tini), but it multiplies
        // what a program can hold (pids, memory accounting by process) and is a step towards an exec.
        // clone without CLONE_THREAD is the same thing (below).
        ("fork", 57, EPERM),
        ("vfork", 58, EPERM),
        // Reading or writing another process's memory or registers; denied outside too, again here so
        // this table stands on its own.
        ("ptrace", 101, EPERM),
        ("process_vm_readv", 310, EPERM),
        ("process_vm_writev", 311, EPERM),
        // Compares kernel objects across processes: an information leak (kernel pointers by ordering).
        ("kcmp", 312, EPERM),
        // A pidfd to our init or another process, and pidfd_getfd steals that process's descriptors.
        ("pidfd_open", 434, EPERM),
        ("pidfd_getfd", 438, EPERM),
        // An anonymous file that can be mapped executable or exec'd (fileless execveat); .NET's W^X
        // double mapping calls it once at start-up, before this filter, never afterwards. The cost: an
        // anonymous MemoryMappedFile (CreateNew with no name) falls back to shm_open, and /dev/shm is
        // read-only in the sandbox, so it throws IOException.
        ("memfd_create", 319, EPERM),
        // Memory the kernel hides even from itself: nothing to gain for a program, a lot for an exploit.
        ("memfd_secret", 447, EPERM),
        // 16-bit segments in the LDT: a long history of kernel bugs; 64-bit code never needs them.
        ("modify_ldt", 154, EPERM),
        // Execution domains (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE): weakens the process's own mappings.
        ("personality", 135, EPERM),
        // clone3 takes its flags in a struct in user memory that a filter cannot read, so it cannot be
        // told apart from a thread; ENOSYS makes glibc's pthread_create fall back to clone(), which can.
        ("clone3", 435, ENOSYS),
    ];

    public const int CloneNr = 56;
    public const uint CloneThread = 0x00010000;

    /// <summary>
    /// Signals to pid 1 (tini, the sandbox's init, which owns the program's exit status): kill, tkill,
    /// tgkill, where args[0] is the pid (tgid for tgkill). Signalling anything else, the process itself
    /// above all (the runtime's thread suspension uses tgkill), stays allowed.
    /// </summary>
    public static readonly IReadOnlyList<int> KillPid1 = [62, 200, 234];

    /// <summary>The table as JSON, in lockdown.json's shape.</summary>
    public static string TableJson()
    {
        var sb = new StringBuilder("{\"x86_64\":{");
        sb.AppendJoin(',', Denied.OrderBy(d => d.Nr).Select(d => $"\"{d.Nr}\":{d.Errno}"));
        sb.Append("},\"clone_needs_thread\":true,\"kill_pid1\":[");
        sb.AppendJoin(',', KillPid1);
        sb.Append("]}");
        return sb.ToString();
    }

    /// <summary>Prepares and installs the filter at once (the compile server, which is in no hurry).</summary>
    public static bool Install()
    {
        var prepared = Prepare();
        prepared?.Install();
        return prepared is not null;
    }

    /// <summary>
    /// Everything but the installing itself, so the executor can do it while it waits for its program:
    /// loading libc, the P/Invoke stubs and assembling the filter cost several milliseconds, the
    /// seccomp call itself a fraction of one. Null when the filter does not apply here (not x86_64
    /// Linux: the numbers above are x86_64's); throws when the process cannot be locked down.
    /// </summary>
    public static Prepared? Prepare()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;

        // Normally already set (setpriv --no-new-privs, bwrap); without it an unprivileged process may
        // not install a filter at all.
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            throw new LockdownException($"prctl(PR_SET_NO_NEW_PRIVS) failed: errno {Marshal.GetLastPInvokeError()}");
        // The same stub as the real call below, through a harmless system call, so it is compiled now.
        _ = syscall(SYS_getpid, 0, 0, 0);

        // If the host were its namespace's pid 1 (never under bwrap, where tini is), the kill rule would
        // refuse the runtime's signals to its own threads; such a process has no init of ours to protect.
        var program = Assemble(guardPid1: Environment.ProcessId != 1);
        // Never freed: a few hundred bytes, and a process installs its filter once.
        var filter = Marshal.AllocHGlobal(program.Length);
        Marshal.Copy(program, 0, filter, program.Length);
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: len, padding, pointer.
        var fprog = Marshal.AllocHGlobal(16);
        Marshal.WriteInt64(fprog, 0, program.Length / 8);
        Marshal.WriteIntPtr(fprog, 8, filter);
        return new Prepared(fprog);
    }

    internal sealed class Prepared(nint fprog)
    {
        /// <summary>Installs the filter on every thread of this process (TSYNC); throws when that fails.</summary>
        public void Install()
        {
            var r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, fprog);
            if (r < 0) throw new LockdownException($"seccomp(SET_MODE_FILTER, TSYNC) failed: errno {Marshal.GetLastPInvokeError()}");
            // With TSYNC a positive answer is a thread that could not take the filter: the process would
            // run with a thread outside it, so it counts as a failure.
            if (r > 0) throw new LockdownException($"seccomp TSYNC: thread {r} could not be synchronised");
        }
    }

    private const int PR_SET_NO_NEW_PRIVS = 38;
    private const nint SYS_seccomp = 317;
    private const nint SYS_getpid = 39;
    private const nint SECCOMP_SET_MODE_FILTER = 1;
    private const nint SECCOMP_FILTER_FLAG_TSYNC = 1;

    private const uint AUDIT_ARCH_X86_64 = 0xc000003e;
    private const uint X32_SYSCALL_BIT = 0x40000000;
    private const uint RET_KILL_PROCESS = 0x80000000;
    private const uint RET_ERRNO = 0x00050000;
    private const uint RET_ALLOW = 0x7fff0000;

    // struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }, little-endian,
    // so the low 32 bits of args[0] are at 16.
    private const uint OffNr = 0;
    private const uint OffArch = 4;
    private const uint OffArg0Lo = 16;

    private const ushort LdWAbs = 0x20;   // BPF_LD | BPF_W | BPF_ABS
    private const ushort JeqK = 0x15;     // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort JgeK = 0x35;     // BPF_JMP | BPF_JGE | BPF_K
    private const ushort JsetK = 0x45;    // BPF_JMP | BPF_JSET | BPF_K
    private const ushort RetK = 0x06;     // BPF_RET | BPF_K

    /// <summary>The filter as struct sock_filter[] (8 bytes each: u16 code, u8 jt, u8 jf, u32 k).</summary>
    internal static byte[] Assemble(bool guardPid1)
    {
        var a = new Bpf();
        a.Op(LdWAbs, OffArch);
        a.Jump(JeqK, AUDIT_ARCH_X86_64, jt: null, jf: "kill");
        a.Op(LdWAbs, OffNr);
        a.Jump(JgeK, X32_SYSCALL_BIT, jt: "enosys", jf: null);
        foreach (var (_, nr, errno) in Denied) a.Jump(JeqK, (uint)nr, jt: ErrnoLabel(errno), jf: null);

        a.Jump(JeqK, CloneNr, jt: null, jf: "after-clone");
        a.Op(LdWAbs, OffArg0Lo);
        a.Jump(JsetK, CloneThread, jt: "allow", jf: "eperm");
        a.Label("after-clone");

        // The accumulator still holds nr on this path: only the clone branch reloaded it, and it returns.
        if (guardPid1)
        {
            for (var i = 0; i < KillPid1.Count; i++)
                a.Jump(JeqK, (uint)KillPid1[i], jt: "kill-pid", jf: i == KillPid1.Count - 1 ? "allow" : null);
            a.Label("kill-pid");
            a.Op(LdWAbs, OffArg0Lo);
            a.Jump(JeqK, 1, jt: "eperm", jf: "allow");
        }

        a.Label("allow");
        a.Op(RetK, RET_ALLOW);
        a.Label("eperm");
        a.Op(RetK, RET_ERRNO | EPERM);
        a.Label("enosys");
        a.Op(RetK, RET_ERRNO | ENOSYS);
        a.Label("kill");
        a.Op(RetK, RET_KILL_PROCESS);
        return a.Encode();
    }

    private static string ErrnoLabel(int errno) => errno switch
    {
        EPERM => "eperm",
        ENOSYS => "enosys",
        _ => throw new InvalidOperationException($"no return for errno {errno}"),
    };

    // A few lines of assembler with forward labels, so the jump offsets are computed, not counted by hand.
    private sealed class Bpf
    {
        private readonly List<(ushort Code, uint K, string? Jt, string? Jf)> _ops = [];
        private readonly Dictionary<string, int> _labels = [];

        public void Op(ushort code, uint k) => _ops.Add((code, k, null, null));

        /// <summary>A conditional jump to a label for true and for false; null is the next instruction.</summary>
        public void Jump(ushort code, uint k, string? jt, string? jf) => _ops.Add((code, k, jt, jf));

        public void Label(string name) => _labels.Add(name, _ops.Count);

        public byte[] Encode()
        {
            var bytes = new byte[_ops.Count * 8];
            for (var i = 0; i < _ops.Count; i++)
            {
                var (code, k, jt, jf) = _ops[i];
                var span = bytes.AsSpan(i * 8, 8);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(span, code);
                span[2] = Offset(i, jt);
                span[3] = Offset(i, jf);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(span[4..], k);
            }
            return bytes;
        }

        private byte Offset(int from, string? label)
        {
            if (label is null) return 0;
            var offset = _labels[label] - from - 1;
            if (offset is < 0 or > 255) throw new InvalidOperationException($"jump to {label} out of range");
            return (byte)offset;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    // glibc has no seccomp() wrapper; syscall(2) is variadic, but its x86_64 implementation only moves
    // integer registers, so a fixed signature of pointer-sized arguments is exact.
    [DllImport("libc", SetLastError = true)]
    private static extern nint syscall(nint number, nint arg1, nint arg2, nint arg3);
}

internal sealed class LockdownException(string message) : Exception(message);
