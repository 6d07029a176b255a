// Attack: steal a file descriptor from another process of the sandbox: pidfd_getfd copies any open file
// of a process we may ptrace into our own table. The sandbox's init (pid 1) runs as our uid.
// How: pidfd_open(1), then pidfd_getfd(pidfd, 0) (the init's stdin); if pidfd_open is refused, the same
// pidfd_getfd on -1, which the kernel would answer with EBADF.
// Contained when: pidfd_getfd fails with EPERM (seccomp); pidfd_open may fail too (ENOSYS, or EPERM
// from the runner host's own filter).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
long pidfd = syscall(434, 1, 0, 0);
int e1 = Marshal.GetLastPInvokeError();
long fd = syscall(438, pidfd >= 0 ? pidfd : -1, 0, 0);
int e2 = Marshal.GetLastPInvokeError();
Console.WriteLine($"pidfd_open {pidfd} errno {e1}; pidfd_getfd {fd} errno {e2}");
Console.WriteLine(fd == -1 && e2 == 1 ? "CONTAINED" : fd >= 0 ? "ESCAPED: took a descriptor from pid 1" : "refused, but not by seccomp");
[DllImport("libc", SetLastError = true)] static extern long syscall(long nr, long a, long b, long c);
