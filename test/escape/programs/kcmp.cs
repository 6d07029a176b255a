// Attack: kcmp compares kernel objects of two processes: whether they share a file, memory or files
// table. Against the sandbox's init and the runner host it tells which descriptors are shared, and it
// is an oracle on kernel pointers' order.
// How: kcmp(getpid(), 1, KCMP_FILE, 0, 0): is our stdin the init's stdin?
// Contained when: it fails with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
long r = syscall(312, Environment.ProcessId, 1, 0, 0, 0);
int err = Marshal.GetLastPInvokeError();
Console.WriteLine($"kcmp {r} errno {err}");
Console.WriteLine(r == -1 && err == 1 ? "CONTAINED" : r >= 0 ? "ESCAPED: kcmp compared our files with the init's" : "refused, but not by seccomp");
[DllImport("libc", SetLastError = true)] static extern long syscall(long nr, long pid1, long pid2, long type, long idx1, long idx2);
