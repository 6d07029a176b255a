// Attack: kill every process we can signal (kill(-1, SIGKILL)), hoping to take down the bot or other runs.
// How: kill(-1, SIGKILL), then kill(1, SIGKILL).
// Contained when: only the sandbox's own processes die: the service keeps running (the test would stop
// otherwise) and a benign run started alongside still completes.
// concurrent-benign: true
// expect-status: ok, runtime_error
using System.Runtime.InteropServices;
Console.WriteLine("killing everything");
Console.Out.Flush();
kill(-1, 9);
kill(1, 9);
Console.WriteLine("still here");
[DllImport("libc")] static extern int kill(int pid, int sig);
