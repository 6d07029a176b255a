// Attack: SysV IPC: shared memory segments, message queues and semaphore sets, kernel objects with a
// long history of bugs and limits of their own; no C# program uses them.
// How: shmget, msgget and semget with IPC_PRIVATE | IPC_CREAT through syscall(); removed if created.
// Contained when: all three fail with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
const long IPC_CREAT_0600 = 0x200 | 0x180, IPC_RMID = 0;
var contained = true;
foreach (var (name, nr, a, rmNr) in new[] { ("shmget", 29L, (4096L, IPC_CREAT_0600), 31L), ("msgget", 68L, (IPC_CREAT_0600, 0L), 71L), ("semget", 64L, (1L, IPC_CREAT_0600), 66L) })
{
    long id = syscall(nr, 0, a.Item1, a.Item2);
    int err = Marshal.GetLastPInvokeError();
    Console.WriteLine($"{name} {id} errno {err}");
    if (id >= 0) { syscall(rmNr, id, IPC_RMID, 0); Console.WriteLine($"ESCAPED: {name} created an object"); contained = false; }
    else if (err != 1) { Console.WriteLine($"{name}: refused, but not by seccomp"); contained = false; }
}
if (contained) Console.WriteLine("CONTAINED");
[DllImport("libc", SetLastError = true)] static extern long syscall(long nr, long a, long b, long c);
