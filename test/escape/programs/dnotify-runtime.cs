// Attack: the older form of inotify: directory notification (dnotify) through fcntl(F_NOTIFY) on the
// shared read-only runtime, to learn when other runs open its files (the same side channel).
// How: open the shared framework directory, fcntl(fd, F_NOTIFY, DN_ACCESS), then cancel it at once (a
// notification would arrive as SIGIO, which would end this program).
// Contained when: fcntl(F_NOTIFY) fails with EPERM (seccomp refuses the command).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var dir = Directory.GetDirectories("/usr/share/dotnet/shared/Microsoft.NETCore.App")[0];
int fd = open(dir, 0x10000); // O_RDONLY | O_DIRECTORY
if (fd < 0) { Console.WriteLine($"open failed: errno {Marshal.GetLastPInvokeError()}"); return; }
int r = fcntl(fd, 1026, 0x1); // F_NOTIFY, DN_ACCESS
int err = Marshal.GetLastPInvokeError();
if (r == 0) { fcntl(fd, 1026, 0); Console.WriteLine($"ESCAPED: dnotify armed on {dir}"); }
else Console.WriteLine(err == 1 ? "CONTAINED" : $"refused, but not by seccomp: errno {err}");
close(fd);
[DllImport("libc", SetLastError = true)] static extern int open(string path, int flags);
[DllImport("libc", SetLastError = true)] static extern int fcntl(int fd, int cmd, long arg);
[DllImport("libc")] static extern int close(int fd);
