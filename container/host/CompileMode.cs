using System.Text;
using System.Text.Json;

namespace Sharpbox.Host;

// The compile modes speak newline-delimited JSON: one CompileRequest in, one CompileResponse out.
internal static class CompileMode
{
    public static int RunOnce(Stream input, Stream output)
    {
        var compiler = new Compiler(Compiler.DefaultReferenceDir());
        using var reader = new StreamReader(input, new UTF8Encoding(false, throwOnInvalidBytes: true));
        Respond(output, Handle(compiler, reader.ReadToEnd()));
        return 0;
    }

    // Programs that walk the parser, binder, flow analysis, lowering (async, LINQ, lambdas, pattern
    // matching, records) and the emitter, one with errors for the diagnostics path, and one ending with
    // an expression for the rewrite.
    private static readonly string[] WarmupSources =
    [
        "Console.WriteLine(\"Hello, World!\");",
        "using System.Text; var sb = new StringBuilder(); foreach (var x in Enumerable.Range(0, 3).Where(i => i % 2 == 0).Select(i => i * i)) sb.Append(x); Console.WriteLine(sb); await Task.Delay(1);",
        "class P { record R(int A, string B); static async Task<int> Main(string[] args) { var r = new R(1, \"x\"); object o = r; if (o is R { A: > 0 } rr) Console.WriteLine(rr.B); var d = new Dictionary<string, List<int>>(); d[\"k\"] = [1, 2]; return await Task.FromResult(d.Count switch { 1 => 0, _ => 1 }); } }",
        "int x = \"not an int\"; Console.WriteLine(x.Foo);",
        // The most used allowed package (PackageCatalog.cs), so the first snippet with one does not pay
        // for reading its metadata (a host without the layout answers SB0110 here, which is as good).
        "#:package Newtonsoft.Json\nConsole.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { A = 1 }));",
        // A trailing expression (the rewrite to Show, TrailingExpression.cs) and Dump().
        "var r = new { A = 1, B = \"x\" }.Dump();\nnew[] { 1, 2, 3 }.Select(x => x * 2)",
    ];

    public static int Serve(Stream input, Stream output, bool warmup)
    {
        // Roslyn parses and binds hostile source, and never needs another process: lock the server down
        // (SeccompLockdown.cs) before it reads anything. Failing closed is right: the service sees the
        // server exit before its ready line and reports the compiler unavailable; stderr says why.
        try
        {
            if (!SeccompLockdown.Install())
                Console.Error.WriteLine("sharpbox-host: no lockdown filter on this architecture (x86_64 only)");
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"sharpbox-host: the lockdown filter could not be installed: {e.GetType().Name}: {e.Message}");
            return 70;
        }
        var compiler = new Compiler(Compiler.DefaultReferenceDir());
        if (warmup)
        {
            // Warm the compiler (the JIT tiers up Roslyn's hot paths) before the first real request.
            for (var round = 0; round < 3; round++)
                foreach (var source in WarmupSources) compiler.Compile(new CompileRequest(source));
        }
        Respond(output, new CompileResponse("ready", true, [], null, null, 0));
        using var reader = new StreamReader(input, new UTF8Encoding(false, throwOnInvalidBytes: true));
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            Respond(output, Handle(compiler, line));
        }
        return 0;
    }

    private static CompileResponse Handle(Compiler compiler, string json)
    {
        CompileRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(json, HostJson.Default.CompileRequest);
        }
        catch (JsonException e)
        {
            return new CompileResponse(null, false, [], null, null, 0, $"bad request: {e.Message}");
        }
        if (request?.Source is null) return new CompileResponse(request?.Id, false, [], null, null, 0, "bad request: no source");
        return compiler.Compile(request);
    }

    private static void Respond(Stream output, CompileResponse response)
    {
        JsonSerializer.Serialize(output, response, HostJson.Default.CompileResponse);
        output.WriteByte((byte)'\n');
        output.Flush();
    }
}
