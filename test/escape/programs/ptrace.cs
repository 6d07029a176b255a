// Attack: attach a debugger to another process (to read its memory: the service's token) with ptrace, or
// read it directly with process_vm_readv.
// How: ptrace(PTRACE_ATTACH) on pid 1 (the sandbox's init) and on our parent; process_vm_readv on pid 1.
// Contained when: both calls fail with EPERM (seccomp), and the service is not in our pid namespace anyway.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
long attach = ptrace(16, 1, 0, 0);
int e1 = Marshal.GetLastPInvokeError();
long readv = syscall(310, 1, 0, 0);
int e2 = Marshal.GetLastPInvokeError();
Console.WriteLine($"ptrace: {attach} errno {e1}; process_vm_readv: {readv} errno {e2}");
Console.WriteLine(attach == -1 && readv == -1 ? "CONTAINED" : "ESCAPED");
[DllImport("libc", SetLastError = true)] static extern long ptrace(long req, long pid, long addr, long data);
[DllImport("libc", SetLastError = true)] static extern long syscall(long n, long a, long b, long c);
