// Attack: change the host's name (or learn it: a step toward fingerprinting the fleet).
// How: read the hostname, then sethostname("pwned").
// Contained when: we see only the sandbox's own UTS namespace ("sharpbox") and the change fails or stays
// inside it.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
var before = Environment.MachineName;
int r = sethostname("pwned", 5);
Console.WriteLine($"hostname {before}; sethostname {r}");
Console.WriteLine(before == "sharpbox" && r == -1 ? "CONTAINED" : "ESCAPED");
[DllImport("libc")] static extern int sethostname(string name, int len);
