// Attack: open a vsock seqpacket socket (the other connected vsock type), the VM's channel to its hypervisor and the agents it runs. vsock
// addresses are not namespaced by the network namespace: a port bound inside the sandbox is the same
// port as outside (a bind collided with one the host's agent held), and a connect reaches the host.
// How: socket(AF_VSOCK, SOCK_SEQPACKET, 0), then bind to any CID and any free port (never a connect).
// Contained when: socket() fails with EAFNOSUPPORT: seccomp allows only AF_UNIX, AF_INET and AF_INET6.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
const int AF_VSOCK = 40, SOCK_SEQPACKET = 5, EAFNOSUPPORT = 97;
int fd = socket(AF_VSOCK, SOCK_SEQPACKET, 0);
int err = Marshal.GetLastPInvokeError();
if (fd >= 0)
{
    // struct sockaddr_vm: family, reserved, port, cid, zero[4]
    var addr = new byte[16];
    BitConverter.TryWriteBytes(addr.AsSpan(0), (ushort)AF_VSOCK);
    BitConverter.TryWriteBytes(addr.AsSpan(4), uint.MaxValue); // VMADDR_PORT_ANY
    BitConverter.TryWriteBytes(addr.AsSpan(8), uint.MaxValue); // VMADDR_CID_ANY
    int b = bind(fd, addr, addr.Length);
    Console.WriteLine($"ESCAPED: vsock seqpacket socket opened, bind {b} errno {Marshal.GetLastPInvokeError()}");
    close(fd);
}
else Console.WriteLine(err == EAFNOSUPPORT ? "CONTAINED" : $"socket refused, but not by seccomp: errno {err}");
[DllImport("libc", SetLastError = true)] static extern int socket(int domain, int type, int protocol);
[DllImport("libc", SetLastError = true)] static extern int bind(int fd, byte[] addr, int len);
[DllImport("libc")] static extern int close(int fd);
