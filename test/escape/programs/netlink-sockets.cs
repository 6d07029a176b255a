// Attack: talk to the kernel over netlink. Some protocols are not namespaced (audit, uevents from the
// host's devices) and the rest are a large parser surface (routing, netfilter, crypto, connector).
// How: socket(AF_NETLINK, SOCK_RAW and SOCK_DGRAM, protocol) for every protocol 0..22.
// Contained when: every one fails with EAFNOSUPPORT: seccomp allows only AF_UNIX, AF_INET and AF_INET6.
// (.NET's NetworkInterface uses NETLINK_ROUTE, so it now throws: see network-interfaces.cs.)
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
const int AF_NETLINK = 16, SOCK_DGRAM = 2, SOCK_RAW = 3, EAFNOSUPPORT = 97;
var opened = new List<string>();
var otherErrors = new List<string>();
for (int protocol = 0; protocol <= 22; protocol++)
{
    foreach (var type in new[] { SOCK_RAW, SOCK_DGRAM })
    {
        int fd = socket(AF_NETLINK, type, protocol);
        int err = Marshal.GetLastPInvokeError();
        if (fd >= 0) { opened.Add($"{protocol}/{(type == SOCK_RAW ? "raw" : "dgram")}"); close(fd); }
        else if (err != EAFNOSUPPORT) otherErrors.Add($"{protocol}: errno {err}");
    }
}
if (opened.Count > 0) Console.WriteLine($"ESCAPED: netlink protocols opened: {string.Join(' ', opened)}");
if (otherErrors.Count > 0) Console.WriteLine($"refused, but not by seccomp: {string.Join(", ", otherErrors.Distinct())}");
if (opened.Count == 0 && otherErrors.Count == 0) Console.WriteLine("CONTAINED");
[DllImport("libc", SetLastError = true)] static extern int socket(int domain, int type, int protocol);
[DllImport("libc")] static extern int close(int fd);
