// Attack: leave a daemon running after the run ends (a miner, a listener, something to meet the next run).
// How: fork; the child calls setsid() to leave the session and sleeps forever; the parent exits at once.
// Contained when: fork is refused (the runner host's own seccomp filter allows threads only), or, should
// a child ever be made, it dies with the sandbox: the test checks afterwards that no process of the
// sandbox's uids is left on the host.
// check-no-leftovers: true
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
int pid = fork();
int errno = Marshal.GetLastPInvokeError(); // before anything else can call into libc
if (pid == 0) { setsid(); while (true) sleep(1000); }
Console.WriteLine($"forked daemon {pid}");
Console.WriteLine(pid > 0 || errno == 1 ? "CONTAINED" : $"fork failed oddly: errno {errno}");
[DllImport("libc", SetLastError = true)] static extern int fork();
[DllImport("libc")] static extern int setsid();
[DllImport("libc")] static extern uint sleep(uint s);
