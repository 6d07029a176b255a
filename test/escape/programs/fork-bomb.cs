// Attack: a fork bomb through libc (the .NET-level Process.Start has no shell to start).
// How: fork() in a loop from every child; each child keeps forking.
// Contained when: fork fails with EAGAIN at the sandbox's task limit, the wall clock ends it, every process
// dies with the sandbox, and a benign run started at the same time still completes.
// concurrent-benign: true
// timeout-ms: 2000
// The program never ends by itself (it sleeps forever), so `ok` would mean the bomb went unnoticed; a
// runtime refused a thread of its own at the task limit ends as runtime_error, which is contained too.
// expect-status: timeout, runtime_error
using System.Runtime.InteropServices;
int failures = 0;
for (int i = 0; i < 100000; i++)
{
    int pid = fork();
    if (pid < 0) { failures++; if (failures % 1000 == 1) Console.WriteLine($"fork failed, errno {Marshal.GetLastPInvokeError()}"); }
}
Thread.Sleep(Timeout.Infinite);
[DllImport("libc", SetLastError = true)] static extern int fork();
