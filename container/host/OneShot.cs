using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sharpbox.Host;

// The container entry for the `aci` backend, run once per container group:
//   1. download the source and stdin through the read-only SAS URLs it was given;
//   2. compile (bounded by the compile deadline);
//   3. run the program in a child process (`exec PROGRAM NOTES`) under the same limits the local sandbox
//      enforces from outside: wall clock (the whole process tree is killed), an output cap over stdout +
//      stderr, its own task limit, and the rlimits entry.sh set (file size, core);
//   4. upload the facts (compile response, exit code, output, notes) as JSON through the write-only SAS.
// Every limit comes from the service (src/runner/backends/aci/containerEnv.ts) and is required: a missing
// one ends the container with 78, and a 403 from storage (an expired or revoked SAS) with 77, at once.
// The service classifies the facts exactly as it does for the local backend; the notes are passed on as
// the child wrote them (see Executor.cs for their order), never read here.
// The child locks itself down (SeccompLockdown.cs) before the user's code; this process cannot, since it
// has to start that child, so the compile here runs without the lockdown (the container is its sandbox).
internal static class OneShot
{
    /// <summary>sysexits' EX_NOPERM: storage answered 403 to a SAS URL (containerEnv.ts CONTAINER_EXIT).</summary>
    public const int StorageDeniedExitCode = 77;
    /// <summary>sysexits' EX_CONFIG: a setting the service always sends was missing (containerEnv.ts).</summary>
    public const int MissingSettingExitCode = 78;

    public static async Task<int> Run()
    {
        try
        {
            return await RunOnce();
        }
        catch (StorageDeniedException e)
        {
            // A SAS that expired or was revoked will not come back: waiting or retrying only holds the
            // container (and the run) until its deadline. The service maps this exit code to its reason.
            Console.Error.WriteLine($"sharpbox: storage refused the {e.What} URL (HTTP 403): its SAS expired or was revoked");
            return StorageDeniedExitCode;
        }
        catch (MissingSettingException e)
        {
            Console.Error.WriteLine($"sharpbox: {e.Name} is missing or malformed; the service sets every limit (src/runner/backends/aci/containerEnv.ts), so this image does not match it");
            return MissingSettingExitCode;
        }
    }

    /// <summary>A variable the service always sets (containerEnv.ts); no default here could match what users are told.</summary>
    private static string Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : throw new MissingSettingException(name);

    private static int IntEnv(string name) =>
        int.TryParse(Env(name), out var v) && v >= 0 ? v : throw new MissingSettingException(name);

    private static async Task<int> RunOnce()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
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
        var memoryBytes = long.TryParse(Env("SHARPBOX_MEMORY_BYTES"), out var m) && m > 0 ? m : throw new MissingSettingException("SHARPBOX_MEMORY_BYTES");
        var limits = new TaskLimits(IntEnv("SHARPBOX_MAX_PROCESSES"), IntEnv("SHARPBOX_CONTAINER_TASKS"));
        var hasStdin = bool.TryParse(Env("SHARPBOX_HAS_STDIN"), out var h) ? h : throw new MissingSettingException("SHARPBOX_HAS_STDIN");

        var source = await GetText(http, Env("SHARPBOX_SOURCE_URL"), "source");
        var stdin = hasStdin ? await GetText(http, Env("SHARPBOX_STDIN_URL"), "stdin") : "";

        var facts = new RunFacts();
        var clock = Stopwatch.StartNew();
        var compile = Task.Run(() => (warmCompiler ?? new Compiler(Compiler.DefaultReferenceDir())).Compile(new CompileRequest(source)));
        if (!compile.Wait(compileTimeoutMs))
        {
            facts.CompileTimedOut = true;
            facts.CompileMs = clock.Elapsed.TotalMilliseconds;
            await Upload(http, resultUrl, facts);
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
            await File.WriteAllBytesAsync(program, Frames(Convert.FromBase64String(response.Assembly), Convert.FromBase64String(response.Pdb ?? "")));
            facts.Exec = await Execute(program, notes, stdin, timeoutMs, outputCap, memoryBytes, limits);
            facts.Exec.Notes = File.Exists(notes) ? File.ReadAllText(notes) : "";
        }
        await Upload(http, resultUrl, facts);
        return 0;
    }

    /// <summary>GET through a SAS URL; a 403 ends the container (StorageDeniedException), other failures throw.</summary>
    private static async Task<string> GetText(HttpClient http, string url, string what)
    {
        using var response = await http.GetAsync(url);
        if (response.StatusCode == HttpStatusCode.Forbidden) throw new StorageDeniedException(what);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
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
                    return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), OneShotJson.Default.DictionaryStringString);
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

    private static byte[] Frames(byte[] pe, byte[] pdb)
    {
        var buffer = new byte[8 + pe.Length + pdb.Length];
        BitConverter.TryWriteBytes(buffer.AsSpan(0, 4), (uint)pe.Length);
        pe.CopyTo(buffer, 4);
        BitConverter.TryWriteBytes(buffer.AsSpan(4 + pe.Length, 4), (uint)pdb.Length);
        pdb.CopyTo(buffer, 8 + pe.Length);
        return buffer;
    }

    private static async Task<ExecFacts> Execute(string program, string notes, string stdin, int timeoutMs, int outputCap, long memoryBytes, TaskLimits limits)
    {
        // RLIMIT_NPROC counts every task of the container's one user, this host's own threads included,
        // and a process may only lower it. So the program starts under prlimit with room for its own
        // limit on top of what the user runs now, never above the container's cap from entry.sh: it can
        // start SHARPBOX_MAX_PROCESSES threads and processes (its runtime's own among them), as in the
        // local sandbox.
        var nproc = Math.Min(limits.ContainerTasks, TasksOfThisUser() + limits.MaxProcesses);
        var start = new ProcessStartInfo("prlimit")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { $"--nproc={nproc}", "--", Environment.ProcessPath ?? "dotnet", typeof(OneShot).Assembly.Location, "exec", program, notes }) start.ArgumentList.Add(a);
        // The program's own environment: none of the container's SAS URLs.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SHARPBOX_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(key);
        start.Environment["DOTNET_GCHeapHardLimit"] = $"0x{memoryBytes * 3 / 4:x}";
        start.Environment["DOTNET_EnableDiagnostics"] = "0";

        var facts = new ExecFacts();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the program");
        var output = new OutputCap(outputCap, () => { facts.OutputExceeded = true; Kill(process); });
        var readOut = Pump(process.StandardOutput.BaseStream, output, facts.StdoutBuffer);
        var readErr = Pump(process.StandardError.BaseStream, output, facts.StderrBuffer);
        try
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // the program did not read its stdin
        }
        using var deadline = new CancellationTokenSource(timeoutMs);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            facts.TimedOut = true;
            Kill(process);
            await process.WaitForExitAsync();
        }
        await Task.WhenAll(readOut, readErr);
        facts.WallMs = clock.Elapsed.TotalMilliseconds;
        facts.ExitCode = process.ExitCode;
        facts.Stdout = Encoding.UTF8.GetString(facts.StdoutBuffer.ToArray());
        facts.Stderr = Encoding.UTF8.GetString(facts.StderrBuffer.ToArray());
        return facts;
    }

    /// <summary>Tasks (threads) of this process's real user, as RLIMIT_NPROC counts them.</summary>
    private static int TasksOfThisUser()
    {
        var uid = StatusOf("/proc/self/status").Uid;
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var status = StatusOf(Path.Combine(dir, "status"));
                if (status.Uid == uid) count += status.Threads;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended meanwhile, or it is hidden from us (then it is not ours)
            }
        }
        return count;
    }

    /// <summary>The real uid and the thread count from a /proc/PID/status file.</summary>
    private static (int Uid, int Threads) StatusOf(string path)
    {
        int uid = -1, threads = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal)) uid = int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
            else if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = int.Parse(line.AsSpan(8).Trim());
        }
        return (uid, threads);
    }

    private static void Kill(Process p)
    {
        try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    private static async Task Pump(Stream from, OutputCap cap, MemoryStream into)
    {
        var buffer = new byte[16384];
        int n;
        while ((n = await from.ReadAsync(buffer)) > 0)
        {
            var take = cap.Take(n);
            if (take > 0) into.Write(buffer, 0, take);
        }
    }

    private static async Task Upload(HttpClient http, string url, RunFacts facts)
    {
        var json = JsonSerializer.Serialize(facts, OneShotJson.Default.RunFacts);
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-ms-blob-type", "BlockBlob");
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.Forbidden) throw new StorageDeniedException("result");
        response.EnsureSuccessStatusCode();
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

/// <summary>The program's own task limit, and the whole container's (entry.sh's RLIMIT_NPROC).</summary>
internal sealed record TaskLimits(int MaxProcesses, int ContainerTasks);

/// <summary>Storage answered 403 to one of the container's SAS URLs.</summary>
internal sealed class StorageDeniedException(string what) : Exception($"storage refused the {what} URL")
{
    public string What { get; } = what;
}

/// <summary>A variable the service always sets is missing or malformed.</summary>
internal sealed class MissingSettingException(string name) : Exception($"{name} is missing or malformed")
{
    public string Name { get; } = name;
}

public sealed class RunFacts
{
    public CompileResponse? Compile { get; set; }
    public bool CompileTimedOut { get; set; }
    public double CompileMs { get; set; }
    public ExecFacts? Exec { get; set; }
}

public sealed class ExecFacts
{
    public int ExitCode { get; set; }
    public bool TimedOut { get; set; }
    public bool OutputExceeded { get; set; }
    public string Stdout { get; set; } = "";
    public string Stderr { get; set; } = "";
    public string Notes { get; set; } = "";
    public double WallMs { get; set; }
    [JsonIgnore] public MemoryStream StdoutBuffer { get; } = new();
    [JsonIgnore] public MemoryStream StderrBuffer { get; } = new();
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunFacts))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class OneShotJson : JsonSerializerContext;
