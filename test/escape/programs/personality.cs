// Attack: switch the execution domain: READ_IMPLIES_EXEC makes every readable mapping executable (for
// this process and what it starts), undoing NX; other personality bits turn off address randomisation.
// How: personality(READ_IMPLIES_EXEC) and personality(ADDR_NO_RANDOMIZE) through libc.
// Contained when: both fail with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var contained = true;
foreach (var (name, flag) in new[] { ("READ_IMPLIES_EXEC", 0x0400000u), ("ADDR_NO_RANDOMIZE", 0x0040000u) })
{
    int r = personality(flag);
    int err = Marshal.GetLastPInvokeError();
    Console.WriteLine($"personality({name}) {r} errno {err}");
    if (r != -1 || err != 1) contained = false;
}
Console.WriteLine(contained ? "CONTAINED" : "ESCAPED: the execution domain changed");
[DllImport("libc", SetLastError = true)] static extern int personality(uint persona);
