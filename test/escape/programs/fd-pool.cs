// Attack: exhaust descriptors and the kernel objects behind them (eventfds, epoll instances, pipes,
// sockets), which are allocated from host-wide memory.
// How: create eventfds, pipes and sockets in a loop until something fails, with several threads.
// Contained when: RLIMIT_NOFILE (1024) stops each process, the task limit stops more processes, the
// kernel objects are charged to the sandbox's memory cgroup, and a benign run beside it still works.
// concurrent-benign: true
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var fds = new List<int>();
var errno = 0;
for (var i = 0; i < 1_000_000; i++)
{
    var fd = eventfd(0, 0);
    if (fd < 0) { errno = Marshal.GetLastPInvokeError(); break; }
    fds.Add(fd);
}
var count = fds.Count;
foreach (var fd in fds) close(fd); // the runtime needs descriptors of its own to print
Console.WriteLine($"{count} eventfds, then errno {errno}");
Console.WriteLine(count <= 1024 && errno == 24 ? "CONTAINED" : "ESCAPED: past RLIMIT_NOFILE");
[DllImport("libc", SetLastError = true)] static extern int eventfd(uint initval, int flags);
[DllImport("libc")] static extern int close(int fd);
