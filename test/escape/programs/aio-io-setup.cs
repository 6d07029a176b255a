// Attack: exhaust the kernel's AIO events. AIO contexts are drawn from one pool for the whole host
// (fs.aio-max-nr, 65,536): one run took them all, and every other user of AIO on the machine (databases,
// the other runs) then fails with EAGAIN until the context is destroyed.
// How: io_setup(1, &ctx) through syscall(): one event only, and destroyed at once if it was created.
// Contained when: io_setup fails with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
ulong ctx = 0;
long r = io_setup(206, 1, ref ctx);
int err = Marshal.GetLastPInvokeError();
Console.WriteLine($"io_setup {r} errno {err}");
if (r == 0) { io_destroy(207, ctx); Console.WriteLine("ESCAPED: an AIO context from the host-wide pool"); }
else Console.WriteLine(err == 1 ? "CONTAINED" : "refused, but not by seccomp");
[DllImport("libc", EntryPoint = "syscall", SetLastError = true)] static extern long io_setup(long nr, long events, ref ulong ctx);
[DllImport("libc", EntryPoint = "syscall", SetLastError = true)] static extern long io_destroy(long nr, ulong ctx);
