// Attack: x86 segment descriptors. modify_ldt lets a process install its own code and data segments, the
// way into a long line of kernel bugs (espfix, sigreturn, 16-bit segments); nothing in .NET uses it.
// How: modify_ldt(0 = read, buf, 16) through syscall(): the harmless read form.
// Contained when: it fails with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var buf = new byte[16];
long r = syscall(154, 0, buf, buf.Length);
int err = Marshal.GetLastPInvokeError();
Console.WriteLine($"modify_ldt {r} errno {err}");
Console.WriteLine(r == -1 && err == 1 ? "CONTAINED" : r >= 0 ? "ESCAPED: modify_ldt answered" : "refused, but not by seccomp");
[DllImport("libc", SetLastError = true)] static extern long syscall(long nr, long func, byte[] ptr, long count);
