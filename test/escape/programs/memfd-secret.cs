// Attack: memfd_secret makes memory that is unmapped from the kernel's own direct map: no C# use, and
// fresh kernel code (it also lets a program hide what it does from the host's tools).
// How: memfd_secret(0) through syscall().
// Contained when: it fails with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
long fd = syscall(447, 0);
int err = Marshal.GetLastPInvokeError();
Console.WriteLine($"memfd_secret {fd} errno {err}");
Console.WriteLine(fd == -1 && err == 1 ? "CONTAINED" : fd >= 0 ? "ESCAPED: secret memory" : "refused, but not by seccomp");
[DllImport("libc", SetLastError = true)] static extern long syscall(long nr, long flags);
