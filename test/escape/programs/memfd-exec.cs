// Attack: run a program that exists only in memory: write an executable into an anonymous memfd and
// execute it (fexecve), so nothing touches a filesystem and no path has to be executable. Here the
// payload is the sandbox's own init (tini), which prints its version.
// How: memfd_create("payload", 0), copy /sandbox/init into it, Process.Start("/proc/self/fd/N").
// Contained when: memfd_create fails with EPERM (seccomp; .NET needs memfd only for W^X double mapping,
// and falls back without it).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
int fd = memfd_create("payload", 0);
int err = Marshal.GetLastPInvokeError();
Console.WriteLine($"memfd_create {fd} errno {err}");
if (fd < 0) { Console.WriteLine(err == 1 ? "CONTAINED" : "refused, but not by seccomp"); return; }
using (var payload = new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write))
    payload.Write(File.ReadAllBytes("/sandbox/init"));
try
{
    using var p = Process.Start(new ProcessStartInfo($"/proc/self/fd/{fd}", "--version") { RedirectStandardOutput = true })!;
    Console.WriteLine($"ESCAPED: ran from memory: {p.StandardOutput.ReadToEnd().Trim()}");
}
catch (Exception e) { Console.WriteLine($"memfd created, exec refused ({e.GetType().Name}): ESCAPED halfway"); }
[DllImport("libc", SetLastError = true)] static extern int memfd_create(string name, uint flags);
