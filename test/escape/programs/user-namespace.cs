// Attack: create a user namespace of our own: inside it we would be "root" with full capabilities, the
// starting point of most namespace-sandbox escapes and kernel exploits.
// How: unshare(CLONE_NEWUSER), then unshare(CLONE_NEWNS) and a mount attempt.
// Contained when: every call fails (bwrap --disable-userns, seccomp denies unshare and mount).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
int u = unshare(0x10000000);
int e1 = Marshal.GetLastPInvokeError();
int m = mount("none", "/tmp", "tmpfs", 0, IntPtr.Zero);
int e2 = Marshal.GetLastPInvokeError();
Console.WriteLine($"unshare(CLONE_NEWUSER) = {u} errno {e1}; mount = {m} errno {e2}");
Console.WriteLine(u == -1 && m == -1 ? "CONTAINED" : "ESCAPED");
[DllImport("libc", SetLastError = true)] static extern int unshare(int flags);
[DllImport("libc", SetLastError = true)] static extern int mount(string src, string target, string type, ulong flags, IntPtr data);
