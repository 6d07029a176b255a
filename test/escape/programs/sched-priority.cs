// Attack: take the host's CPUs from everyone else by scheduling priority rather than by CPU time:
// SCHED_FIFO at priority 99 (a spinning real-time thread starves every normal task on its core) or a
// nice value of -20.
// How: sched_setscheduler(0, SCHED_FIFO, 99), sched_setscheduler(0, SCHED_RR, 1), setpriority(-20),
// then nice(-1).
// Contained when: every call fails (EPERM): the sandbox holds no capability and its RLIMIT_RTPRIO and
// RLIMIT_NICE are 0 whatever the service inherited, so it can only lower its own priority.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var escaped = false;
foreach (var (policy, prio) in new[] { (1, 99), (2, 1) })
{
    var param = prio;
    var r = sched_setscheduler(0, policy, ref param);
    Console.WriteLine($"sched_setscheduler({policy}, {prio}) = {r}, errno {Marshal.GetLastPInvokeError()}");
    if (r == 0) escaped = true;
}
var p = setpriority(0, 0, -20);
Console.WriteLine($"setpriority(-20) = {p}, errno {Marshal.GetLastPInvokeError()}");
if (p == 0) escaped = true;
Console.WriteLine(escaped ? "ESCAPED: raised priority" : "CONTAINED");
[DllImport("libc", SetLastError = true)] static extern int sched_setscheduler(int pid, int policy, ref int param);
[DllImport("libc", SetLastError = true)] static extern int setpriority(int which, int who, int prio);
