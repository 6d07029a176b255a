// Attack: become root: setuid(0), or use capabilities left over from the launcher.
// How: setuid(0) and setgid(0); then read our capability sets and the no_new_privs flag.
// Contained when: both calls fail, every capability set is empty and no_new_privs is on (so a setuid
// binary could not raise privileges either).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
int u = setuid(0), g = setgid(0);
var status = File.ReadAllLines("/proc/self/status");
var caps = status.Where(l => l.StartsWith("Cap")).ToList();
foreach (var l in caps) Console.WriteLine(l);
var nnp = status.First(l => l.StartsWith("NoNewPrivs")).Split(':')[1].Trim();
var noCaps = caps.All(l => l.EndsWith("0000000000000000"));
Console.WriteLine($"setuid {u}, setgid {g}, NoNewPrivs {nnp}");
Console.WriteLine(u == -1 && g == -1 && noCaps && nnp == "1" ? "CONTAINED" : "ESCAPED");
[DllImport("libc")] static extern int setuid(uint id);
[DllImport("libc")] static extern int setgid(uint id);
