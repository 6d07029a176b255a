using System.Text.Json.Serialization;

namespace Sharpbox.Host;

// The wire types between the Node runner and this host. The TypeScript side mirrors them in
// src/runner/backends/local/hostProtocol.ts; change both together.

// Optimize ("release" | "debug") and LangVersion are the run's options (CompileSettings.cs); absent, the defaults.
public sealed record CompileRequest(string Source, string? Id = null, string? Optimize = null, string? LangVersion = null);

public sealed record DiagnosticDto(
    string Id, string Severity, string Message, int Line, int Column, int EndLine, int EndColumn);

public sealed record CompileResponse(
    string? Id,
    bool Ok,
    DiagnosticDto[] Diagnostics,
    string? Assembly,   // base64 PE image, when Ok
    string? Pdb,        // base64 portable PDB, so stack traces carry the user's line numbers
    double CompileMs,
    string? Error = null); // a request the host could not handle at all (bad JSON); not a compile error

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CompileRequest))]
[JsonSerializable(typeof(CompileResponse))]
internal sealed partial class HostJson : JsonSerializerContext;
