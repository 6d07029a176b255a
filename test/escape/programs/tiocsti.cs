// Attack: push characters into the controlling terminal's input queue (TIOCSTI), so the parent's shell
// runs them when the sandbox exits (CVE-2017-5226 against bubblewrap).
// How: ioctl(fd, TIOCSTI, "x") on stdin, stdout, stderr and /dev/tty.
// Contained when: every ioctl fails: no terminal is shared (--new-session, pipes not ttys) and seccomp
// refuses TIOCSTI outright.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var escaped = false;
byte c = (byte)'x';
foreach (var fd in new[] { 0, 1, 2 })
{
    int r = ioctl(fd, 0x5412, ref c);
    Console.WriteLine($"fd {fd}: {r} errno {Marshal.GetLastPInvokeError()}");
    if (r == 0) escaped = true;
}
try { using var tty = File.Open("/dev/tty", FileMode.Open); escaped = true; Console.WriteLine("ESCAPED: /dev/tty opened"); }
catch (Exception e) { Console.WriteLine($"/dev/tty: {e.GetType().Name}"); }
Console.WriteLine(escaped ? "ESCAPED" : "CONTAINED");
[DllImport("libc", SetLastError = true)] static extern int ioctl(int fd, ulong req, ref byte arg);
