// Attack: watch the read-only runtime that every sandbox shares (the same inodes on the host). inotify
// reports every open and read of a watched file by anyone, so one run sees when another starts and
// which assemblies it loads: a side channel between users, and a covert channel between two runs.
// How: inotify_init1, then inotify_add_watch on the shared framework directory for IN_OPEN | IN_ACCESS.
// Contained when: inotify_init1 fails with EPERM (seccomp); FileSystemWatcher fails the same way.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var dir = Directory.GetDirectories("/usr/share/dotnet/shared/Microsoft.NETCore.App")[0];
int fd = inotify_init1(0x80000); // IN_CLOEXEC
int err = Marshal.GetLastPInvokeError();
if (fd >= 0)
{
    int wd = inotify_add_watch(fd, dir, 0x20 | 0x1); // IN_OPEN | IN_ACCESS
    Console.WriteLine($"ESCAPED: watching {dir} (watch {wd} errno {Marshal.GetLastPInvokeError()})");
    close(fd);
}
else Console.WriteLine(err == 1 ? "CONTAINED" : $"refused, but not by seccomp: errno {err}");
[DllImport("libc", SetLastError = true)] static extern int inotify_init1(int flags);
[DllImport("libc", SetLastError = true)] static extern int inotify_add_watch(int fd, string path, uint mask);
[DllImport("libc")] static extern int close(int fd);
