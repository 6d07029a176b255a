using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sharpbox.Host;

// The container entry for the `aci` backend, run once per container group:
//   1. download the source and stdin through the read-only SAS URLs it was given;
//   2. compile (bounded by the compile deadline);
//   3. run the program in a child process (`exec PROGRAM NOTES`) under the same limits the local sandbox
//      enforces from outside: wall clock (the whole process tree is killed), an output cap over stdout +
//      stderr, and the rlimits entry.sh set (processes, data, file size, core);
//   4. upload the facts (compile response, exit code, output, notes) as JSON through the write-only SAS.
// The service classifies the facts exactly as it does for the local backend; the notes are passed on as
// the child wrote them (see Executor.cs for their order), never read here.
// The child locks itself down (SeccompLockdown.cs) before the user's code; this process cannot, since it
// has to start that child, so the compile here runs without the lockdown (the container is its sandbox).
internal static class OneShot
{
    private static string Env(string name, string? fallback = null) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback ?? throw new InvalidOperationException($"{name} is not set");

    public static async Task<int> Run()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Compiler? warmCompiler = null;
        // A warm-pool container: it waits for its one assignment (a blob the service writes), warming the
        // compiler meanwhile; the assignment carries what a cold container gets in its environment.
        if (Environment.GetEnvironmentVariable("SHARPBOX_ASSIGNMENT_URL") is { Length: > 0 } assignmentUrl)
        {
            var warming = Task.Run(() =>
            {
                var c = new Compiler(Compiler.DefaultReferenceDir());
                c.Compile(new CompileRequest("Console.WriteLine(1);"));
                return c;
            });
            var assignment = await WaitForAssignment(http, assignmentUrl, int.Parse(Env("SHARPBOX_WAIT_MS", "600000")));
            if (assignment is null) return 0; // never assigned: the service lets it expire and starts another
            foreach (var (key, value) in assignment) Environment.SetEnvironmentVariable(key, value);
            warmCompiler = await warming;
        }
        var resultUrl = Env("SHARPBOX_RESULT_URL");
        var timeoutMs = int.Parse(Env("SHARPBOX_TIMEOUT_MS", "5000"));
        var compileTimeoutMs = int.Parse(Env("SHARPBOX_COMPILE_TIMEOUT_MS", "10000"));
        var outputCap = int.Parse(Env("SHARPBOX_OUTPUT_BYTES", "1048576"));
        var memoryBytes = long.Parse(Env("SHARPBOX_MEMORY_BYTES", "268435456"));

        var source = await http.GetStringAsync(Env("SHARPBOX_SOURCE_URL"));
        var stdinUrl = Environment.GetEnvironmentVariable("SHARPBOX_STDIN_URL");
        var stdin = string.IsNullOrEmpty(stdinUrl) ? "" : await http.GetStringAsync(stdinUrl);

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
            facts.Exec = await Execute(program, notes, stdin, timeoutMs, outputCap, memoryBytes);
            facts.Exec.Notes = File.Exists(notes) ? File.ReadAllText(notes) : "";
        }
        await Upload(http, resultUrl, facts);
        return 0;
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

    private static async Task<ExecFacts> Execute(string program, string notes, string stdin, int timeoutMs, int outputCap, long memoryBytes)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { typeof(OneShot).Assembly.Location, "exec", program, notes }) start.ArgumentList.Add(a);
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
