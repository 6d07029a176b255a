using System.Buffers.Binary;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Sharpbox.Host;

// Runs one compiled program in this process, which is already inside the sandbox.
//
// fd 3 (control, read): u32le length + PE image, then u32le length + PDB (length 0 for none), then
// optionally u32le length + the job's name in ASCII (ProgramJob.cs: run, il, lowered, asm; none = run),
// then EOF. A view job prints its listing on stdout instead of running Main.
// Reading it is the last thing the host does before user code, so a sandbox can be started early and
// wait here with the runtime initialised.
// fd 4 (status, write): JSON lines, in this order:
//   {"e":"ready"}                  the runtime is up and the host waits on fd 3;
//   {"e":"fault","message":"..."}  instead of start (and of ready, if it failed that early): the host
//                                  itself failed (fd 3 unreadable or truncated, the lockdown filter not
//                                  installed); it then exits with 70, and no user code has run;
//   {"e":"start"}                  the program was read and the lockdown filter (SeccompLockdown.cs) is
//                                  on; sent before the user's assembly is even loaded, because a module
//                                  initializer or a static constructor is user code that runs as soon as
//                                  the runtime touches a type (binding Main is enough);
//   {"e":"exit","code":N}          the program ended normally or through Environment.Exit;
//   {"e":"unhandled","type":"System.X"}  just before the runtime reports an unhandled exception and aborts.
// Notes before the first start can only come from the host: no user type exists in the process until
// the assembly is loaded, which happens after start. Notes after it share the process with the user's
// code, which can write to fd 4 too (or forge its own exit and unhandled notes), so the runner treats
// them as hints about the user's own program only, never as a source of trust.
internal static class Executor
{
    [StackTraceHidden]
    public static int Run(int controlFd, int statusFd) =>
        Run(() => new FileStream(new SafeFileHandle(controlFd, ownsHandle: true), FileAccess.Read, 1), StatusChannel.Open(statusFd));

    /// <summary>The same with files instead of inherited fds (one-shot mode, where .NET's Process cannot pass fds).</summary>
    [StackTraceHidden]
    public static int RunFromFiles(string programPath, string notesPath) =>
        Run(() => File.OpenRead(programPath), StatusChannel.OpenFile(notesPath));

    /// <summary>The host's own exit code when it fails before start (sysexits' EX_SOFTWARE).</summary>
    public const int FaultExitCode = 70;

    [StackTraceHidden]
    private static int Run(Func<Stream> openControl, StatusChannel status)
    {
        byte[] pe, pdb;
        ProgramJob job;
        try
        {
            Prewarm();
            // Not on other architectures (its numbers are x86_64's); the outer filter still applies there.
            var lockdown = SeccompLockdown.Prepare();
            using (var control = openControl())
            {
                status.Send("{\"e\":\"ready\"}");
                pe = ReadFrame(control) ?? throw new InvalidDataException("no assembly on the control fd");
                pdb = ReadFrame(control) ?? [];
                job = ProgramJobs.Parse(ReadFrame(control));
            }
            // Last before start: from here on the process can no longer exec, fork or signal our init.
            lockdown?.Install();
        }
        catch (Exception e)
        {
            // Nothing of the user's has run, so this is ours alone: say what, and exit with our own code.
            status.Send(FaultNote(e));
            return FaultExitCode;
        }

        var exitNoted = 0;
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
            status.Send($"{{\"e\":\"unhandled\",\"type\":{Quote(e.ExceptionObject.GetType().FullName ?? "?")}}}");
        // Environment.Exit skips the code after Invoke; ProcessExit still runs. Registered before the
        // assembly is loaded, so an Environment.Exit in a module initializer is noted too.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (Interlocked.Exchange(ref exitNoted, 1) == 0)
                status.Send($"{{\"e\":\"exit\",\"code\":{Environment.ExitCode}}}");
        };

        // The allowed packages (PackageAssemblies.cs) bind on demand, from the read-only folder beside the host.
        PackageAssemblies.Install(PackageManifest.DefaultDir());
        status.Send("{\"e\":\"start\"}");
        // The decompiler reads the image as metadata and never loads it: no user code runs at all. It
        // comes after start all the same, so that the runner treats whatever happens (a decompiler
        // failing on a crafted image) as this job's outcome, like a program's, and after the filter.
        if (job is ProgramJob.Il or ProgramJob.Lowered)
        {
            DecompiledView.Write(job, pe, Console.Out);
            return 0;
        }
        // From here on user code may run (module initializers as the module is first touched, static
        // constructors on binding Main), so whatever fails now is reported as the program's failure.
        var assembly = pdb.Length > 0 ? Assembly.Load(pe, pdb) : Assembly.Load(pe);
        if (job == ProgramJob.Asm)
        {
            JitListing.Write(assembly, Console.Out);
            return 0;
        }
        var entry = assembly.EntryPoint ?? throw new InvalidDataException("the assembly has no entry point");
        var main = BindMain(entry);
        // A direct delegate call, and [StackTraceHidden] on the host's frames: an unhandled exception
        // reaches the runtime as itself and its stack trace shows only the user's frames, exactly as
        // `dotnet run` prints it.
        var code = main();
        Environment.ExitCode = code;
        Console.Out.Flush();
        Console.Error.Flush();
        return code;
    }

    // The message is at most 500 characters (never splitting a surrogate pair), and cut further if
    // JSON escaping (\u0022 for a quote) would make the line longer than the runner reads (1,024).
    private static string FaultNote(Exception e)
    {
        var text = $"{e.GetType().Name}: {e.Message}";
        for (var max = 500; ; max -= 50)
        {
            var line = $"{{\"e\":\"fault\",\"message\":{Quote(Truncation.Cut(text, max))}}}";
            if (line.Length <= 1000 || max <= 50) return line;
        }
    }

    // Work every program pays for on its first Console call or first collection, done while the sandbox
    // waits for its program instead of after: the console streams and encodings, the common generic
    // instantiations, string formatting. Nothing is written: stdout and stderr stay untouched.
    private static void Prewarm()
    {
        _ = Console.Out;
        _ = Console.Error;
        _ = Console.OutputEncoding;
        var list = new List<int> { 3, 1, 2 };
        list.Sort();
        _ = string.Join(",", list.Select(i => i * 2).Where(i => i > 1).ToArray());
        _ = $"{list.Count} {DateTime.UnixEpoch:O} {Math.PI:F2}";
        _ = new Dictionary<string, int> { ["a"] = 1 }.TryGetValue("a", out _);
        _ = Task.CompletedTask.GetAwaiter();
    }

    // Entry points come in four shapes (async Main compiles to a synthesized one of these too).
    private static Func<int> BindMain(MethodInfo entry)
    {
        var withArgs = entry.GetParameters().Length == 1;
        var returnsInt = entry.ReturnType == typeof(int);
        switch (withArgs, returnsInt)
        {
            case (false, false):
            {
                var d = entry.CreateDelegate<Action>();
                return [StackTraceHidden] () => { d(); return 0; };
            }
            case (true, false):
            {
                var d = entry.CreateDelegate<Action<string[]>>();
                return [StackTraceHidden] () => { d([]); return 0; };
            }
            case (false, true):
                return entry.CreateDelegate<Func<int>>();
            default:
            {
                var d = entry.CreateDelegate<Func<string[], int>>();
                return [StackTraceHidden] () => d([]);
            }
        }
    }

    private static byte[]? ReadFrame(Stream s)
    {
        Span<byte> header = stackalloc byte[4];
        if (!ReadExactly(s, header)) return null;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length > 64 * 1024 * 1024) throw new InvalidDataException($"frame of {length} bytes is too large");
        var buffer = new byte[length];
        if (!ReadExactly(s, buffer)) throw new InvalidDataException("truncated frame on the control fd");
        return buffer;
    }

    private static bool ReadExactly(Stream s, Span<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = s.Read(buffer[read..]);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s, HostJsonStrings.Default.String);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class HostJsonStrings : System.Text.Json.Serialization.JsonSerializerContext;

// Best-effort writer for fd 4: the run must not fail because nobody listens for notes.
internal sealed class StatusChannel
{
    private readonly FileStream? _stream;
    private readonly Lock _lock = new();

    private StatusChannel(FileStream? stream) => _stream = stream;

    public static StatusChannel OpenFile(string path)
    {
        try
        {
            return new StatusChannel(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1));
        }
        catch (Exception)
        {
            return new StatusChannel(null);
        }
    }

    public static StatusChannel Open(int fd)
    {
        try
        {
            return new StatusChannel(new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 1));
        }
        catch (Exception)
        {
            return new StatusChannel(null);
        }
    }

    public void Send(string json)
    {
        if (_stream is null) return;
        lock (_lock)
        {
            try
            {
                _stream.Write(Encoding.UTF8.GetBytes(json + "\n"));
                _stream.Flush();
            }
            catch (Exception)
            {
                // The user's program may have closed fd 4; the exit status still tells the runner enough.
            }
        }
    }
}
