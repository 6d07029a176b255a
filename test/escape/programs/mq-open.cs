// Attack: POSIX message queues: kernel IPC objects no C# program uses, with their own limits and their
// own kernel code to attack.
// How: mq_open("sharpbox", O_CREAT | O_RDWR, 0600) through syscall(); removed again if it was created.
// Contained when: mq_open fails with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
long fd = mq(240, "sharpbox", 0x42, 0x180, 0);
int err = Marshal.GetLastPInvokeError();
Console.WriteLine($"mq_open {fd} errno {err}");
if (fd >= 0) { mq(241, "sharpbox", 0, 0, 0); Console.WriteLine("ESCAPED: a POSIX message queue"); }
else Console.WriteLine(err == 1 ? "CONTAINED" : "refused, but not by seccomp");
[DllImport("libc", EntryPoint = "syscall", SetLastError = true)] static extern long mq(long nr, string name, long flags, long mode, long attr);
