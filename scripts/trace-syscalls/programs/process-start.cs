// Starting programs: none exist in the sandbox, so each fails with an exception.
using System.Diagnostics;
foreach (var f in new[] { "ls", "/bin/sh", "/usr/share/dotnet/dotnet" })
{
    try { using var p = Process.Start(new ProcessStartInfo(f, "--version") { RedirectStandardOutput = true }); p!.WaitForExit(); Console.WriteLine($"{f}: exit {p.ExitCode}"); }
    catch (Exception e) { Console.WriteLine($"{f}: {e.GetType().Name}: {e.Message}"); }
}
