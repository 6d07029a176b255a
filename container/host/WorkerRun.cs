using System.Diagnostics;

namespace Sharpbox.Host;

// One run of a worker: download, compile (with the worker's warm compiler), run the program as the run's
// own uid (RunIdentity.cs), watch for the service's cancellation, and afterwards leave nothing of the run:
// every process of its uid killed, its files in world-writable places and its SysV IPC objects removed,
// its scratch directory gone. The clean-up runs on every path, failures included; whether it succeeded
// decides whether the worker may take another run (Recycle.cs).
internal sealed class WorkerRun(int run, WorkerJob job, long fileBytes, Compiler compiler, IReadOnlyList<string> writableDirs, HttpClient http)
{
    private static readonly TimeSpan CancelPollInterval = TimeSpan.FromMilliseconds(500);
    /// <summary>How long the run's processes may take to be gone after SIGKILL.</summary>
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(5);
    /// <summary>How long the walk over the world-writable directories may take.</summary>
    private static readonly TimeSpan ScrubTimeout = TimeSpan.FromSeconds(30);

    private readonly RunIdentity _identity = new(run);

    /// <summary>The facts to upload; whether everything of the run is gone; whether storage refused the cancel URL.</summary>
    public sealed record Outcome(RunFacts Facts, bool CleanedUp, bool CancelDenied);

    public async Task<Outcome> Serve()
    {
        using var cancel = new CancellationTokenSource();
        using var stopWatching = new CancellationTokenSource();
        var watcher = WatchCancel(cancel, stopWatching.Token);
        var facts = new RunFacts();
        bool cleanedUp;
        try
        {
            await CompileAndExecute(facts, cancel.Token);
        }
        finally
        {
            await stopWatching.CancelAsync();
            // Bounded: each of its calls ends with stopWatching.
            await watcher;
            cleanedUp = CleanUp(facts);
        }
        return new Outcome(facts, cleanedUp, await watcher);
    }

    private async Task CompileAndExecute(RunFacts facts, CancellationToken cancel)
    {
        var source = await Storage.GetText(http, job.SourceUrl, "source");
        var stdin = job.StdinUrl is { } stdinUrl ? await Storage.GetText(http, stdinUrl, "stdin") : "";
        var clock = Stopwatch.StartNew();
        var compile = Task.Run(() => compiler.Compile(new CompileRequest(source, Optimize: job.Optimize, LangVersion: job.LangVersion)));
        try
        {
            // A cancellation does not cut the compile short: its thread could not be stopped anyway, and
            // the compile deadline bounds it.
            await compile.WaitAsync(TimeSpan.FromMilliseconds(job.CompileTimeoutMs));
        }
        catch (TimeoutException)
        {
            facts.CompileTimedOut = true;
            facts.CompileMs = clock.Elapsed.TotalMilliseconds;
            return;
        }
        var response = await compile;
        facts.Compile = response with { Assembly = null, Pdb = null };
        facts.CompileMs = clock.Elapsed.TotalMilliseconds;
        if (cancel.IsCancellationRequested)
        {
            facts.Cancelled = true;
            return;
        }
        if (!response.Ok || response.Assembly is null) return;
        _identity.CreateScratch(ProgramRun.ProgramFile(response));
        var start = _identity.Start(job.MaxProcesses, fileBytes, job.MemoryBytes);
        facts.Exec = await ProgramRun.Execute(start, stdin, job.TimeoutMs, job.OutputBytes, new UidTeardown(_identity.Uid, KillTimeout), cancel);
        if (facts.Exec.KilledByCancel) facts.Cancelled = true;
    }

    /// <summary>Polls the cancel blob while the run lasts; true if storage refused its URL (the run is then ended too).</summary>
    private async Task<bool> WatchCancel(CancellationTokenSource cancel, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                if (await Storage.TryGetText(http, job.CancelUrl, "cancel", stop) is not null)
                {
                    Worker.Log($"run {run} ({job.RunId}): cancelled by the service");
                    await cancel.CancelAsync();
                    return false;
                }
                await Task.Delay(CancelPollInterval, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
        catch (StorageDeniedException)
        {
            await cancel.CancelAsync();
            return true;
        }
    }

    /// <summary>Leaves nothing of the run in the container; the notes are read in between (see ReadNotes).</summary>
    private bool CleanUp(RunFacts facts)
    {
        var uid = _identity.Uid;
        var killed = ProcTable.KillAll(uid, KillTimeout, ownChild: null);
        if (facts.Exec is { } exec) exec.Notes = killed ? _identity.ReadNotes() : "";
        var deadline = DateTime.UtcNow + ScrubTimeout;
        var files = Scrub.RemoveOwnedBy((uint)uid, writableDirs, deadline);
        // The scratch directory is in /tmp and the run's, so the scrub removed it; unless /tmp was not
        // world-writable in this image, or the run gave it away: make sure.
        var scratch = Scrub.RemoveTree(_identity.Scratch, deadline);
        var ipc = SysVIpc.RemoveOwnedBy(uid);
        if (!(killed && files && scratch && ipc))
            Worker.Log($"run {run} ({job.RunId}): clean-up incomplete (processes killed: {killed}, files: {files}, scratch: {scratch}, ipc: {ipc})");
        return killed && files && scratch && ipc;
    }
}

/// <summary>A worker ends a run by its uid: every process of it, wherever the program forked to.</summary>
internal sealed class UidTeardown(int uid, TimeSpan timeout) : IRunTeardown
{
    public void Kill(Process main)
    {
        // Before setpriv has switched to the run's uid the process is still root's: kill it by pid too.
        try { main.Kill(); } catch (InvalidOperationException) { }
        ProcTable.KillAll(uid, timeout, main.Id);
    }

    public void Ended(Process main) => ProcTable.KillAll(uid, timeout, main.Id);
}
