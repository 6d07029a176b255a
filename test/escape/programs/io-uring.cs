// Attack: io_uring, which can open sockets and files outside the usual syscall checks and has been the
// source of many privilege escalations.
// How: io_uring_setup(1, params) through syscall().
// Contained when: it fails with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var p = Marshal.AllocHGlobal(120);
for (int i = 0; i < 120; i++) Marshal.WriteByte(p, i, 0);
long fd = syscall(425, 1, p, 0);
int err = Marshal.GetLastPInvokeError();
Console.WriteLine($"io_uring_setup {fd} errno {err}");
Console.WriteLine(fd == -1 && err == 1 ? "CONTAINED" : "ESCAPED");
[DllImport("libc", SetLastError = true)] static extern long syscall(long n, long a, IntPtr b, long c);
