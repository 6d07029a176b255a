using System.Text.Json;

namespace Sharpbox.Host;

// When a worker stops taking runs, from what it saw itself (never from what the program claims it did,
// except where a false claim can only cost a recycle). Facts in, reason out, no I/O.
internal static class Recycle
{
    public const string CleanupFailed = "cleanup-failed";
    public const string LimitHit = "limit-hit";
    public const string MaxRuns = "max-runs";
    public const string Lifetime = "lifetime";

    /// <summary>SIGABRT: how the runtime ends a program on an unhandled exception (its notes say which); the program's own doing.</summary>
    private const int AbortSignal = 6;

    /// <summary>Why the worker retires after run `run`, or null if it takes another.</summary>
    public static string? Why(RunFacts facts, bool cleanedUp, int run, int maxRuns, bool lifetimeOver) =>
        !cleanedUp ? CleanupFailed
        : HitALimit(facts) ? LimitHit
        : run >= maxRuns ? MaxRuns
        : lifetimeOver ? Lifetime
        : null;

    /// <summary>
    /// A run that ran into a limit may have pushed the container somewhere a fresh one would not be
    /// (memory fragmented, the compile thread still running, a kernel object the scrub does not know):
    /// a timeout, the output cap, a compile timeout, death by a signal the worker did not send for a
    /// cancellation (the container's OOM killer sends SIGKILL, RLIMIT_FSIZE SIGXFSZ), or notes saying the
    /// runtime ran out of memory or threads (RLIMIT_NPROC ends thread creation with OutOfMemoryException).
    /// </summary>
    public static bool HitALimit(RunFacts facts)
    {
        if (facts.CompileTimedOut) return true;
        if (facts.Exec is not { } exec) return false;
        if (exec.TimedOut || exec.OutputExceeded) return true;
        var signal = exec.ExitCode - 128;
        if (signal is > 0 and < 65 && signal != AbortSignal && facts.Cancelled != true) return true;
        return NotesSayOutOfMemory(exec.Notes);
    }

    private static bool NotesSayOutOfMemory(string notes)
    {
        foreach (var line in notes.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                using var note = JsonDocument.Parse(line);
                if (note.RootElement.ValueKind == JsonValueKind.Object
                    && note.RootElement.TryGetProperty("e", out var e) && e.ValueEquals("unhandled")
                    && note.RootElement.TryGetProperty("type", out var type) && type.ValueEquals("System.OutOfMemoryException"))
                    return true;
            }
            catch (JsonException)
            {
                // a line cut short by the program's end, or written by the program itself
            }
        }
        return false;
    }
}
