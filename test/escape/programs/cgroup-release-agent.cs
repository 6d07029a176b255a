// Attack: the classic container escape through cgroup v1's release_agent (CVE-2022-0492): mount a cgroup
// hierarchy, set release_agent to a script, and have the host kernel run it as root.
// How: look for /sys/fs/cgroup, then try to mount a cgroup filesystem of our own.
// Contained when: /sys is not in the sandbox at all, and mount fails (no capabilities, seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var sys = Directory.Exists("/sys/fs/cgroup");
Directory.CreateDirectory("/tmp/cg");
int m = mount("cgroup", "/tmp/cg", "cgroup", 0, "memory");
int err = Marshal.GetLastPInvokeError();
Console.WriteLine($"/sys/fs/cgroup visible: {sys}; mount cgroup: {m} errno {err}");
Console.WriteLine(!sys && m == -1 ? "CONTAINED" : "ESCAPED");
[DllImport("libc", SetLastError = true)] static extern int mount(string src, string target, string type, ulong flags, string data);
