// Attack: run code before the runner host says the program has started, so that a crash reads as the
// service's own failure (internal_error, "our fault") and the program's stderr lands in the service's
// error log at error level.
// How: a [ModuleInitializer] (it runs when the assembly is first touched, before Main) writes to stderr
// and exits with 70, the host's own "internal failure" code.
// Contained when: the run is the user's runtime_error: the host writes its start note before it loads
// the user's assembly, so no user code can run before it.
// expect-status: runtime_error
using System.Runtime.CompilerServices;
Console.WriteLine("never reached");
static class Early
{
    [ModuleInitializer]
    internal static void Init() { Console.Error.WriteLine("INTERNAL ERROR: pretend the service broke"); Environment.Exit(70); }
}
