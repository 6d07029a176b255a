// Attack: carry bytes between two runs through lock state. Every sandbox sees the same inodes of the
// read-only runtime, and an flock on one is visible to all: a run that locks and unlocks
// /usr/share/dotnet/dotnet in a pattern sends bits to another run testing it with LOCK_NB, across the
// namespaces and users. (Shown between two concurrent runs with the deny-list filter.)
// How: open the file read-only (that is all flock needs), then flock(LOCK_SH | LOCK_NB) and
// flock(LOCK_EX | LOCK_NB).
// Contained when: both fail with ENOLCK (seccomp refuses flock; FileStream ignores that error).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, ENOLCK = 37;
int fd = open("/usr/share/dotnet/dotnet", 0);
if (fd < 0) { Console.WriteLine($"open failed: errno {Marshal.GetLastPInvokeError()}"); return; }
var contained = true;
foreach (var (name, op) in new[] { ("LOCK_SH", LOCK_SH), ("LOCK_EX", LOCK_EX) })
{
    int r = flock(fd, op | LOCK_NB);
    int err = Marshal.GetLastPInvokeError();
    if (r == 0) { Console.WriteLine($"ESCAPED: {name} taken on a file every run shares"); flock(fd, LOCK_UN); contained = false; }
    else if (err != ENOLCK) { Console.WriteLine($"{name}: refused, but not by seccomp: errno {err}"); contained = false; }
}
close(fd);
// FileShare.None still opens a file: .NET takes an flock for it and ignores ENOLCK.
using (var f = new FileStream("/tmp/own.txt", FileMode.Create, FileAccess.ReadWrite, FileShare.None)) f.WriteByte(1);
if (contained) Console.WriteLine("CONTAINED");
[DllImport("libc", SetLastError = true)] static extern int open(string path, int flags);
[DllImport("libc", SetLastError = true)] static extern int flock(int fd, int op);
[DllImport("libc")] static extern int close(int fd);
