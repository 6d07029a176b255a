// Attack: run code in the asm view, which is meant to compile the user's methods without running any of
// them, and from there reach the host: start a program, or read the JIT's listing of the host's own
// methods (the host shares the process).
// How: a module initializer, which runs as soon as the host touches the module to compile its methods
// (measured: it does, before the listing); and a static readonly field of a beforefieldinit class read
// by a method, whose static constructor the JIT may run while compiling that method with full
// optimisation, to fold the field into a constant (measured on .NET 10: it does not, today). Both try
// Process.Start and print what they find.
// Contained when: the view still ends as an ordinary listing (ok), and the user code that ran did so
// under the run's sandbox and lockdown filter: no program could be started (the expected line is the
// module initializer's, so the test proves it ran), and its output is just capped output of this run.
// view: asm
// expect-status: ok
// expect-stdout: module initializer: /bin/sh: Win32Exception
using System.Diagnostics;
using System.Runtime.CompilerServices;

static class Tables
{
    static readonly int Seed = Probe.Try("static constructor");
    public static int Get(int i) => Seed + i;
}

static class Probe
{
    [ModuleInitializer]
    internal static void Init() => Try("module initializer");

    public static int Try(string where)
    {
        foreach (var exe in new[] { "/bin/sh", "/proc/self/exe", "/usr/bin/env" })
        {
            try { using var p = Process.Start(new ProcessStartInfo(exe, "-c true") { UseShellExecute = false }); Console.WriteLine($"ESCAPED: {where} started {exe}"); }
            catch (Exception e) { Console.WriteLine($"{where}: {exe}: {e.GetType().Name}"); }
        }
        return 42;
    }
}

class Program
{
    static void Main() => Console.WriteLine(Tables.Get(1));
}
