// Attack: start a shell or any host binary (curl, python, sh -c 'fork bomb').
// How: Process.Start on /bin/sh, /usr/bin/env and bash.
// Contained when: none of them exists in the sandbox: there is no shell or tool to start.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Diagnostics;
var escaped = false;
foreach (var exe in new[] { "/bin/sh", "/usr/bin/env", "bash", "/usr/bin/curl", "/usr/bin/python3" })
{
    try { using var p = Process.Start(new ProcessStartInfo(exe, "-c true") { UseShellExecute = false }); escaped = true; Console.WriteLine($"ESCAPED: started {exe}"); }
    catch (Exception e) { Console.WriteLine($"{exe}: {e.GetType().Name}"); }
}
if (!escaped) Console.WriteLine("CONTAINED");
