// Attack: crash on purpose to get a core dump written (a dump of a host process could hold secrets; a
// core_pattern pipe runs as root on the host).
// How: abort() through libc after checking the core rlimit.
// Contained when: RLIMIT_CORE is 0, .NET's createdump is off, and the crash is reported as SIGABRT.
// expect-status: runtime_error
using System.Runtime.InteropServices;
var limits = File.ReadAllLines("/proc/self/limits").First(l => l.StartsWith("Max core file size"));
Console.WriteLine(limits);
Console.Out.Flush();
abort();
[DllImport("libc")] static extern void abort();
