// The runner host. Modes:
//   compile         read one CompileRequest (JSON) on stdin, write one CompileResponse (JSON line) on stdout
//   compile-server  the same, one request per line, for as long as stdin stays open (a warm compiler);
//                   it answers {"id":"ready"} once loaded (and warmed, unless --no-warmup)
//   exec            read an assembly from fd 3, then run it with the process's own stdin/stdout/stderr;
//                   lifecycle notes go to fd 4 (see Executor.cs); `exec PROGRAM NOTES` uses files instead
//   oneshot         the container entry (ACI) of a cold run or a warm-pool member: download, compile,
//                   run in a child process under the in-container limits, upload the facts (OneShot.cs)
//   worker          the container entry (ACI) of a worker group: many runs one after another, each
//                   polled from a job blob and run as a uid of its own, everything of it removed after
//                   it (Worker.cs); needs root in the container (entry.sh checks)
//   packages-layout ASSETS OUT STAMP  lay out the allowed packages from a restore's project.assets.json
//                   (PackageLayout.cs; run by container/packages/layout.sh at setup and image build)
//   lockdown-table  print the system calls the lockdown filter denies, as JSON (SeccompLockdown.cs),
//                   so a test can check lockdown.json, which the TypeScript side reads, against it
// Exit codes of the host itself: 2 = bad usage, 70 = internal failure (in exec mode with a fault note on
// fd 4 first, since a user's program can exit with 70 too); in oneshot and worker mode 77 = storage
// refused a SAS URL and 78 = a required setting is missing or malformed (ContainerExit.cs; the program's
// own exit code goes in its facts).
using System.Diagnostics;

namespace Sharpbox.Host;

// Hidden from stack traces, with the executor's frames, so a user's exception reads as under `dotnet run`.
[StackTraceHidden]
internal static class Program
{
    [StackTraceHidden]
    private static int Main(string[] args) => args.FirstOrDefault() switch
    {
        "compile" => CompileMode.RunOnce(Console.OpenStandardInput(), Console.OpenStandardOutput()),
        "compile-server" => CompileMode.Serve(Console.OpenStandardInput(), Console.OpenStandardOutput(), warmup: !args.Contains("--no-warmup")),
        "exec" when args.Length == 3 => Executor.RunFromFiles(programPath: args[1], notesPath: args[2]),
        "exec" => Executor.Run(controlFd: 3, statusFd: 4),
        "oneshot" => OneShot.Run().GetAwaiter().GetResult(),
        "worker" => Worker.Run().GetAwaiter().GetResult(),
        "lockdown-table" => PrintLockdownTable(),
        "packages-layout" when args.Length == 4 => PackageLayout.Run(assetsPath: args[1], outDir: args[2], stamp: args[3]),
        _ => Usage(),
    };

    private static int PrintLockdownTable()
    {
        Console.WriteLine(SeccompLockdown.TableJson());
        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: sharpbox-host compile | compile-server [--no-warmup] | exec [PROGRAM NOTES] | oneshot | worker | packages-layout ASSETS OUT STAMP | lockdown-table");
        return 2;
    }
}
