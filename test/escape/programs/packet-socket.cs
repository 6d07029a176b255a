// Attack: open an AF_PACKET socket (sniff and forge link-layer frames; the packet socket code has had
// several privilege escalations, reachable wherever a process holds CAP_NET_RAW in its namespace).
// How: socket(AF_PACKET, SOCK_RAW and SOCK_DGRAM, ETH_P_ALL) through libc.
// Contained when: both fail with EAFNOSUPPORT: seccomp refuses the family before the kernel's
// capability check is ever reached (raw-socket.cs shows the capability check on its own).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
const int AF_PACKET = 17, SOCK_DGRAM = 2, SOCK_RAW = 3, ETH_P_ALL_BE = 0x0300, EAFNOSUPPORT = 97;
var contained = true;
foreach (var type in new[] { SOCK_RAW, SOCK_DGRAM })
{
    int fd = socket(AF_PACKET, type, ETH_P_ALL_BE);
    int err = Marshal.GetLastPInvokeError();
    if (fd >= 0) { Console.WriteLine($"ESCAPED: packet socket opened (type {type})"); close(fd); contained = false; }
    else if (err != EAFNOSUPPORT) { Console.WriteLine($"type {type}: refused, but not by seccomp: errno {err}"); contained = false; }
}
if (contained) Console.WriteLine("CONTAINED");
[DllImport("libc", SetLastError = true)] static extern int socket(int domain, int type, int protocol);
[DllImport("libc")] static extern int close(int fd);
