using System.Diagnostics;

namespace Sharpbox.Host;

// The container entry for a worker group of the `aci` backend: one container serves many runs, one after
// another, instead of one container group per run (Azure allows 100 group creates per 5 minutes per
// region). The contract with the service (src/runner/backends/aci/workers.ts) in short:
//   - job i is a blob the service writes when it assigns run i; the worker polls its SAS URL (every
//     200 ms; 404 = not yet; 403 = exit 77) until it appears or SHARPBOX_LIFETIME_MS (from the worker's
//     start) has passed (then exit 0). Job 1's URL is SHARPBOX_JOB_URL, job i+1's is in job i.
//   - it runs the job as one-shot mode would (WorkerRun.cs), but as a uid of the run's own, and uploads
//     the facts with "worker": { run, retiring, why } (RunFacts.cs);
//   - it retires (exit 0 right after that upload) after SHARPBOX_MAX_RUNS runs, once the lifetime has
//     passed, at once after a run that hit a limit, or when a run's leftovers could not all be removed
//     (Recycle.cs).
// It runs as root in the container (entry.sh refuses otherwise): giving each run its own uid, killing
// by uid and removing a uid's files all need it. The compile happens here, unconfined (as in one-shot
// mode, the container is its sandbox); the program never does.
internal static class Worker
{
    private static readonly TimeSpan JobPollInterval = TimeSpan.FromMilliseconds(200);

    public static Task<int> Run() => ContainerExit.Guard(Serve);

    public static void Log(string message) => Console.Error.WriteLine($"sharpbox worker: {message}");

    private static async Task<int> Serve()
    {
        var env = Settings.FromEnvironment();
        var fileBytes = env.PositiveLong("SHARPBOX_FILE_BYTES");
        var jobUrl = env.Url("SHARPBOX_JOB_URL");
        var maxRuns = env.PositiveInt("SHARPBOX_MAX_RUNS");
        var lifetime = TimeSpan.FromMilliseconds(env.Int("SHARPBOX_LIFETIME_MS"));
        var age = Stopwatch.StartNew();
        if (ProcTable.RealUidOfSelf() != 0)
        {
            Log("worker mode needs root in the container, to give each run its own user; this image was started as another user");
            return ContainerExit.MissingSetting;
        }
        ProtectFromOomKiller();
        ProcTable.BecomeSubreaper();
        // Both while the first job is awaited: the first compile is fast, and the scan sees the container
        // as the image made it, before any run.
        var warming = Task.Run(WarmCompiler);
        var scanning = Task.Run(WritableDirs.Find);
        using var http = Storage.NewClient();
        Log($"started: at most {maxRuns} runs within {lifetime.TotalMilliseconds:F0} ms");
        try
        {
            for (var run = 1; ; run++)
            {
                var text = await PollJob(http, jobUrl, run, lifetime - age.Elapsed);
                if (text is null)
                {
                    Log($"no job {run} within the lifetime: leaving");
                    return 0;
                }
                var job = WorkerJob.Parse(text, run);
                var compiler = await warming;
                var writable = await scanning;
                if (run == 1) LogScan(writable);
                Log($"run {run} ({job.RunId}): started as uid {new RunIdentity(run).Uid}");
                var outcome = await new WorkerRun(run, job, fileBytes, compiler, writable.Dirs, http).Serve();
                if (outcome.CancelDenied) throw new StorageDeniedException("cancel");
                var why = Recycle.Why(outcome.Facts, outcome.CleanedUp, run, maxRuns, lifetimeOver: age.Elapsed >= lifetime);
                outcome.Facts.Worker = new WorkerFacts(run, why);
                await Storage.Upload(http, job.ResultUrl, outcome.Facts);
                Log($"run {run} ({job.RunId}): result uploaded{(why is null ? "" : $"; retiring ({why})")}");
                // After a compile timeout the compiler's thread still runs; returning ends the process with it.
                if (why is not null) return 0;
                jobUrl = job.NextJobUrl;
            }
        }
        catch (Exception e) when (e is not (StorageDeniedException or MissingSettingException))
        {
            Log($"failed: {e.GetType().Name}: {e.Message}");
            return ContainerExit.InternalFailure;
        }
    }

    /// <summary>Job i's text, or null once the lifetime is over; a 403 throws (exit 77).</summary>
    private static async Task<string?> PollJob(HttpClient http, string url, int run, TimeSpan left)
    {
        using var lifetime = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            while (true)
            {
                if (await Storage.TryGetText(http, url, $"job {run}", lifetime.Token) is { } text) return text;
                await Task.Delay(JobPollInterval, lifetime.Token);
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            return null;
        }
    }

    private static Compiler WarmCompiler()
    {
        var compiler = new Compiler(Compiler.DefaultReferenceDir());
        compiler.Compile(new CompileRequest("Console.WriteLine(1);"));
        return compiler;
    }

    /// <summary>
    /// The container's memory limit must take a run, never the worker: each run starts at oom_score_adj
    /// 1000 (RunIdentity.cs), and the worker goes to -1000 where it may. Lowering it needs CAP_SYS_RESOURCE,
    /// which Docker's default set (and so, presumably, ACI's) lacks; then the worker stays where it is.
    /// </summary>
    private static void ProtectFromOomKiller()
    {
        try
        {
            File.WriteAllText("/proc/self/oom_score_adj", "-1000");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log($"cannot lower its own oom_score_adj ({e.GetType().Name}, no CAP_SYS_RESOURCE): it stays at {File.ReadAllText("/proc/self/oom_score_adj").Trim()}, each run's is 1000");
        }
    }

    private static void LogScan(WritableDirs.Found found)
    {
        Log($"world-writable directories, scrubbed after each run: {string.Join(' ', found.Dirs)}");
        if (found.WorldWritableFiles.Count > 0)
            Log($"world-writable files (a run could change them for the next; the image should have none): {string.Join(' ', found.WorldWritableFiles.Take(20))}");
    }
}
