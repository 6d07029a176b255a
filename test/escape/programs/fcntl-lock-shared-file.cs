// Attack: the same cross-run channel as flock-shared-file.cs with POSIX record locks: a read lock on a
// byte range of a shared read-only runtime file is visible to every other run (F_GETLK even names the
// holder's pid), with classic (F_SETLK) and open-file-description (F_OFD_SETLK) locks alike.
// How: open /usr/share/dotnet/dotnet read-only; fcntl F_SETLK and F_OFD_SETLK with F_RDLCK on byte 0,
// and F_GETLK.
// Contained when: all three fail with ENOLCK (seccomp refuses the lock commands).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
const int F_GETLK = 5, F_SETLK = 6, F_OFD_SETLK = 37, F_RDLCK = 0, ENOLCK = 37;
int fd = open("/usr/share/dotnet/dotnet", 0);
if (fd < 0) { Console.WriteLine($"open failed: errno {Marshal.GetLastPInvokeError()}"); return; }
var contained = true;
foreach (var (name, cmd) in new[] { ("F_SETLK", F_SETLK), ("F_OFD_SETLK", F_OFD_SETLK), ("F_GETLK", F_GETLK) })
{
    // struct flock: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid (32 bytes)
    var lk = new byte[32];
    BitConverter.TryWriteBytes(lk.AsSpan(0), (short)F_RDLCK);
    BitConverter.TryWriteBytes(lk.AsSpan(16), 1L); // l_len: one byte
    int r = fcntl(fd, cmd, lk);
    int err = Marshal.GetLastPInvokeError();
    if (r == 0) { Console.WriteLine($"ESCAPED: {name} on a file every run shares"); contained = false; }
    else if (err != ENOLCK) { Console.WriteLine($"{name}: refused, but not by seccomp: errno {err}"); contained = false; }
}
close(fd);
if (contained) Console.WriteLine("CONTAINED");
[DllImport("libc", SetLastError = true)] static extern int open(string path, int flags);
[DllImport("libc", SetLastError = true)] static extern int fcntl(int fd, int cmd, byte[] lk);
[DllImport("libc")] static extern int close(int fd);
