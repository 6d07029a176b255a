// Attack: load eBPF programs or open perf events: both expose kernel internals and have a long exploit
// history; userfaultfd is the usual helper for winning kernel races.
// How: bpf(BPF_PROG_LOAD), perf_event_open and userfaultfd through syscall().
// Contained when: all three fail with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var results = new List<(string, long, int)>();
foreach (var (name, nr) in new[] { ("bpf", 321L), ("perf_event_open", 298L), ("userfaultfd", 323L) })
{
    long r = syscall(nr, 0, 0, 0);
    results.Add((name, r, Marshal.GetLastPInvokeError()));
}
foreach (var (n, r, e) in results) Console.WriteLine($"{n} {r} errno {e}");
Console.WriteLine(results.All(x => x.Item2 == -1 && x.Item3 == 1) ? "CONTAINED" : "ESCAPED");
[DllImport("libc", SetLastError = true)] static extern long syscall(long n, long a, long b, long c);
