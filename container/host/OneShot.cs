using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Sharpbox.Host;

// The container entry for the `aci` backend, run once per container group:
//   1. download the source and stdin through the read-only SAS URLs it was given;
//   2. compile (bounded by the compile deadline);
//   3. run the program in a child process (ProgramRun.cs) under the same limits the local sandbox
//      enforces from outside: wall clock (the whole process tree is killed), an output cap over stdout +
//      stderr, its own task limit, and the rlimits entry.sh set (file size, core);
//   4. upload the facts (compile response, exit code, output, notes) as JSON through the write-only SAS.
// Every limit comes from the service (src/runner/backends/aci/containerEnv.ts) and is required: a missing
// one ends the container with 78, and a 403 from storage (an expired or revoked SAS) with 77, at once
// (ContainerExit.cs). The service classifies the facts exactly as it does for the local backend; the
// notes are passed on as the child wrote them (see Executor.cs for their order), never read here.
// The child locks itself down (SeccompLockdown.cs) before the user's code; this process cannot, since it
// has to start that child, so the compile here runs without the lockdown (the container is its sandbox).
// Host and program share the container's one user (entry.sh drops to it when started as root).
internal static class OneShot
{
    public static Task<int> Run() => ContainerExit.Guard(RunOnce);

    /// <summary>A variable the service always sets (containerEnv.ts); no default here could match what users are told.</summary>
    private static string Env(string name) => Settings.FromEnvironment().Text(name);

    private static int IntEnv(string name) => Settings.FromEnvironment().Int(name);

    private static async Task<int> RunOnce()
    {
        using var http = Storage.NewClient();
        Compiler? warmCompiler = null;
        // A warm-pool container: it waits for its one assignment (a blob the service writes), warming the
        // compiler meanwhile; the assignment carries what a cold container gets in its environment.
        if (Environment.GetEnvironmentVariable("SHARPBOX_ASSIGNMENT_URL") is { Length: > 0 } assignmentUrl)
        {
            var waitMs = IntEnv("SHARPBOX_WAIT_MS");
            var warming = Task.Run(() =>
            {
                var c = new Compiler(Compiler.DefaultReferenceDir());
                c.Compile(new CompileRequest("Console.WriteLine(1);"));
                return c;
            });
            var assignment = await WaitForAssignment(http, assignmentUrl, waitMs);
            if (assignment is null) return 0; // never assigned: the service retires it and starts another
            foreach (var (key, value) in assignment) Environment.SetEnvironmentVariable(key, value);
            warmCompiler = await warming;
        }
        var resultUrl = Env("SHARPBOX_RESULT_URL");
        var timeoutMs = IntEnv("SHARPBOX_TIMEOUT_MS");
        var compileTimeoutMs = IntEnv("SHARPBOX_COMPILE_TIMEOUT_MS");
        var outputCap = IntEnv("SHARPBOX_OUTPUT_BYTES");
        var memoryBytes = long.TryParse(Env("SHARPBOX_MEMORY_BYTES"), out var m) && m > 0 ? m : throw new MissingSettingException("SHARPBOX_MEMORY_BYTES", where: null);
        var limits = new TaskLimits(IntEnv("SHARPBOX_MAX_PROCESSES"), IntEnv("SHARPBOX_CONTAINER_TASKS"));
        var hasStdin = bool.TryParse(Env("SHARPBOX_HAS_STDIN"), out var h) ? h : throw new MissingSettingException("SHARPBOX_HAS_STDIN", where: null);

        var source = await Storage.GetText(http, Env("SHARPBOX_SOURCE_URL"), "source");
        var settings = Settings.FromEnvironment();
        var request = new CompileRequest(source, Optimize: settings.Optional("SHARPBOX_OPTIMIZE"), LangVersion: settings.Optional("SHARPBOX_LANG_VERSION"));
        var stdin = hasStdin ? await Storage.GetText(http, Env("SHARPBOX_STDIN_URL"), "stdin") : "";

        var facts = new RunFacts();
        var clock = Stopwatch.StartNew();
        var compile = Task.Run(() => (warmCompiler ?? new Compiler(Compiler.DefaultReferenceDir())).Compile(request));
        if (!compile.Wait(compileTimeoutMs))
        {
            facts.CompileTimedOut = true;
            facts.CompileMs = clock.Elapsed.TotalMilliseconds;
            await Storage.Upload(http, resultUrl, facts);
            Environment.Exit(0); // the compile thread cannot be stopped; the process can
        }
        var response = compile.Result;
        facts.Compile = response with { Assembly = null, Pdb = null };
        facts.CompileMs = clock.Elapsed.TotalMilliseconds;
        if (response.Ok && response.Assembly is not null)
        {
            var work = Directory.CreateTempSubdirectory("sharpbox-");
            var program = Path.Combine(work.FullName, "program.bin");
            var notes = Path.Combine(work.FullName, "notes");
            await File.WriteAllBytesAsync(program, ProgramRun.ProgramFile(response));
            facts.Exec = await ProgramRun.Execute(ChildStart(program, notes, memoryBytes, limits), stdin, timeoutMs, outputCap, new TreeTeardown(), CancellationToken.None);
            facts.Exec.Notes = File.Exists(notes) ? File.ReadAllText(notes) : "";
        }
        await Storage.Upload(http, resultUrl, facts);
        return 0;
    }

    private static ProcessStartInfo ChildStart(string program, string notes, long memoryBytes, TaskLimits limits)
    {
        // RLIMIT_NPROC counts every task of the container's one user, this host's own threads included,
        // and a process may only lower it. So the program starts under prlimit with room for its own
        // limit on top of what the user runs now, never above the container's cap from entry.sh: it can
        // start SHARPBOX_MAX_PROCESSES threads and processes (its runtime's own among them), as in the
        // local sandbox.
        var nproc = Math.Min(limits.ContainerTasks, ProcTable.TasksOf(ProcTable.RealUidOfSelf()) + limits.MaxProcesses);
        var start = new ProcessStartInfo("prlimit");
        foreach (var a in new[] { $"--nproc={nproc}", "--" }.Concat(ProgramRun.ExecArgs(program, notes))) start.ArgumentList.Add(a);
        ProgramRun.SetEnvironment(start, memoryBytes);
        return start;
    }

    private static async Task<Dictionary<string, string>?> WaitForAssignment(HttpClient http, string url, int waitMs)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < waitMs)
        {
            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                    return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), FactsJson.Default.DictionaryStringString);
                // 404 is the normal "not assigned yet"; a 403 will not turn into an assignment.
                if (response.StatusCode == HttpStatusCode.Forbidden) throw new StorageDeniedException("assignment");
            }
            catch (HttpRequestException)
            {
                // storage hiccup: keep waiting
            }
            await Task.Delay(100);
        }
        return null;
    }

    /// <summary>One-shot mode ends the child's process tree; the container itself goes with the run.</summary>
    private sealed class TreeTeardown : IRunTeardown
    {
        public void Kill(Process main)
        {
            try { main.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }

        public void Ended(Process main)
        {
        }
    }
}

/// <summary>The program's own task limit, and the whole container's (entry.sh's RLIMIT_NPROC).</summary>
internal sealed record TaskLimits(int MaxProcesses, int ContainerTasks);
