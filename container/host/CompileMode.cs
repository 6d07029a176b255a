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

    public static int Serve(Stream input, Stream output)
    {
        var compiler = new Compiler(Compiler.DefaultReferenceDir());
        // Warm the compiler (JIT of the parser, binder and emitter) before the first real request.
        compiler.Compile(new CompileRequest("System.Console.WriteLine(1);"));
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
