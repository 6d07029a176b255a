// Attack: open a Multipath TCP socket: a second TCP implementation with its own path manager and its own
// history of kernel bugs, reachable from a plain socket() call.
// How: socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP) and the same for AF_INET6.
// Contained when: both fail with EPROTONOSUPPORT: seccomp allows only protocol 0, TCP and UDP.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
const int AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, IPPROTO_MPTCP = 262, EPROTONOSUPPORT = 93;
var contained = true;
foreach (var family in new[] { AF_INET, AF_INET6 })
{
    int fd = socket(family, SOCK_STREAM, IPPROTO_MPTCP);
    int err = Marshal.GetLastPInvokeError();
    if (fd >= 0) { Console.WriteLine($"ESCAPED: MPTCP socket opened (family {family})"); close(fd); contained = false; }
    else if (err != EPROTONOSUPPORT) { Console.WriteLine($"family {family}: refused, but not by seccomp: errno {err}"); contained = false; }
}
if (contained) Console.WriteLine("CONTAINED");
[DllImport("libc", SetLastError = true)] static extern int socket(int domain, int type, int protocol);
[DllImport("libc")] static extern int close(int fd);
