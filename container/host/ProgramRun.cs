using System.Diagnostics;
using System.Text;

namespace Sharpbox.Host;

// Runs one compiled program in a child process (`sharpbox-host exec PROGRAM NOTES`) under the limits the
// local sandbox enforces from outside: the wall clock, an output cap over stdout + stderr, and whatever
// the caller's command line puts around it (prlimit, and in worker mode setpriv to the run's own uid).
// Shared by one-shot mode (OneShot.cs) and worker mode (Worker.cs); how a run's processes are ended is
// the caller's (IRunTeardown), since only the worker has a uid of the run's own to kill by.
internal static class ProgramRun
{
    /// <summary>
    /// How long the output pipes may stay open after the program's main process ended: a process it left
    /// behind could hold them for ever, and the facts must go out regardless.
    /// </summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a SIGKILLed process may take to be gone (freeing gigabytes takes a moment).</summary>
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The program file the child reads (Executor.RunFromFiles): u32le length + PE, u32le length + PDB.</summary>
    public static byte[] ProgramFile(CompileResponse compiled)
    {
        var pe = Convert.FromBase64String(compiled.Assembly ?? throw new InvalidOperationException("no assembly to run"));
        var pdb = Convert.FromBase64String(compiled.Pdb ?? "");
        var buffer = new byte[8 + pe.Length + pdb.Length];
        BitConverter.TryWriteBytes(buffer.AsSpan(0, 4), (uint)pe.Length);
        pe.CopyTo(buffer, 4);
        BitConverter.TryWriteBytes(buffer.AsSpan(4 + pe.Length, 4), (uint)pdb.Length);
        pdb.CopyTo(buffer, 8 + pe.Length);
        return buffer;
    }

    /// <summary>The host's own `exec PROGRAM NOTES` command line, to append to the caller's wrappers.</summary>
    public static string[] ExecArgs(string program, string notes) =>
        [Environment.ProcessPath ?? "dotnet", typeof(ProgramRun).Assembly.Location, "exec", program, notes];

    /// <summary>
    /// The program's environment: the container's, without any SHARPBOX_* variable (those hold the SAS
    /// URLs), with the managed heap capped below the memory limit.
    /// </summary>
    public static void SetEnvironment(ProcessStartInfo start, long memoryBytes)
    {
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SHARPBOX_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(key);
        start.Environment["DOTNET_GCHeapHardLimit"] = $"0x{memoryBytes * 3 / 4:x}";
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
    }

    /// <summary>
    /// Starts the child, feeds it stdin, collects its output up to the cap, and ends it at the wall limit,
    /// at the cap, or when `cancel` fires. Only a failure to start it (or to see it die) throws.
    /// </summary>
    public static async Task<ExecFacts> Execute(ProcessStartInfo start, string stdin, int timeoutMs, int outputCap, IRunTeardown teardown, CancellationToken cancel)
    {
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;

        var facts = new ExecFacts();
        var stdout = new Capture();
        var stderr = new Capture();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the program");
        var output = new OutputCap(outputCap, () => { facts.OutputExceeded = true; teardown.Kill(process); });
        var readOut = Pump(process.StandardOutput.BaseStream, output, stdout);
        var readErr = Pump(process.StandardError.BaseStream, output, stderr);
        // Not awaited before the wall clock starts: a program that never reads its stdin must still time out.
        _ = Feed(process.StandardInput, stdin);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeoutMs);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            if (cancel.IsCancellationRequested) facts.KilledByCancel = true;
            else facts.TimedOut = true;
            teardown.Kill(process);
            using var killed = new CancellationTokenSource(KillTimeout);
            // A process that outlives SIGKILL this long is stuck in the kernel: the host cannot vouch for anything after that.
            await process.WaitForExitAsync(killed.Token);
        }
        teardown.Ended(process);
        try
        {
            await Task.WhenAll(readOut, readErr).WaitAsync(DrainTimeout);
        }
        catch (TimeoutException)
        {
            // Something outside the teardown's reach still holds the pipes: keep what came so far.
        }
        facts.WallMs = clock.Elapsed.TotalMilliseconds;
        facts.ExitCode = process.ExitCode;
        facts.Stdout = stdout.Text();
        facts.Stderr = stderr.Text();
        return facts;
    }

    private static async Task Feed(StreamWriter input, string stdin)
    {
        try
        {
            await input.WriteAsync(stdin);
            input.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // the program did not read its stdin (it ended, or its pipe was closed under us)
        }
    }

    private static async Task Pump(Stream from, OutputCap cap, Capture into)
    {
        var buffer = new byte[16384];
        int n;
        while ((n = await from.ReadAsync(buffer)) > 0)
        {
            var take = cap.Take(n);
            if (take > 0) into.Write(buffer.AsSpan(0, take));
        }
    }

    /// <summary>One stream's bytes; locked, since a drain that timed out leaves its pump writing.</summary>
    private sealed class Capture
    {
        private readonly MemoryStream _bytes = new();
        private readonly Lock _lock = new();

        public void Write(ReadOnlySpan<byte> data)
        {
            lock (_lock) _bytes.Write(data);
        }

        public string Text()
        {
            lock (_lock) return Encoding.UTF8.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length);
        }
    }

    private sealed class OutputCap(int limit, Action onExceeded)
    {
        private int _used;
        private readonly Lock _lock = new();

        public int Take(int n)
        {
            lock (_lock)
            {
                var room = Math.Max(0, limit - _used);
                var take = Math.Min(room, n);
                _used += take;
                if (take < n) onExceeded();
                return take;
            }
        }
    }
}

/// <summary>How a run's processes end: one-shot mode kills the child's tree, a worker every process of the run's uid.</summary>
internal interface IRunTeardown
{
    /// <summary>End the program now (wall limit, output cap, cancellation).</summary>
    void Kill(Process main);

    /// <summary>The main process has ended: end whatever it left behind.</summary>
    void Ended(Process main);
}
