using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Sharpbox.Host;

// The compiler settings a snippet may choose: from `#:property` lines at its top (as .NET 10's
// file-based programs write them) and from the request (the /run options, the CLI's flags, the HTTP
// API's fields). A property in the source wins over the request's option for the same setting: the
// source says what it needs to compile, the option is the run's default. Unset, each is what a
// `dotnet new console` project has, as before: the latest language version, nullable enabled, unsafe
// code allowed, Release.
//
// Debug (`Optimize=false`, `optimize: debug`) also defines DEBUG, as the SDK's Debug configuration does,
// so `#if DEBUG` and [Conditional("DEBUG")] see it; Release defines nothing, exactly as before.
public sealed record CompileSettings(
    LanguageVersion LanguageVersion,
    NullableContextOptions Nullable,
    bool AllowUnsafe,
    OptimizationLevel Optimization)
{
    public static readonly CompileSettings Default =
        new(LanguageVersion.Latest, NullableContextOptions.Enable, AllowUnsafe: true, OptimizationLevel.Release);

    public const string Supported = "LangVersion, Nullable, AllowUnsafeBlocks and Optimize";

    /// <summary>The settings, and an SB0100 error for each property or option it could not take.</summary>
    public static (CompileSettings Settings, DiagnosticDto[] Problems) From(CompileRequest request, IEnumerable<PropertyDirective> properties)
    {
        var settings = Default;
        var problems = new List<DiagnosticDto>();
        // The request's options first, at no line of the source (line 0)…
        if (request.Optimize is { } optimize)
        {
            switch (optimize)
            {
                case "release": settings = settings with { Optimization = OptimizationLevel.Release }; break;
                case "debug": settings = settings with { Optimization = OptimizationLevel.Debug }; break;
                default: problems.Add(Problem($"the optimize option must be 'release' or 'debug', not '{optimize}'", 0, 0, 0)); break;
            }
        }
        if (request.LangVersion is { } requested)
        {
            if (ParseLanguageVersion(requested) is { } version) settings = settings with { LanguageVersion = version };
            else problems.Add(Problem($"the language version '{requested}' is not one this compiler knows: {KnownVersions()}", 0, 0, 0));
        }
        // …then the source's properties, later lines over earlier ones (as MSBuild reads a project).
        foreach (var p in properties)
        {
            var value = p.Value;
            switch (p.Name.ToLowerInvariant())
            {
                case "langversion":
                    if (ParseLanguageVersion(value) is { } version) settings = settings with { LanguageVersion = version };
                    else problems.Add(Problem($"LangVersion '{value}' is not a language version this compiler knows: {KnownVersions()}", p));
                    break;
                case "nullable":
                    NullableContextOptions? nullable = value.ToLowerInvariant() switch
                    {
                        "enable" => NullableContextOptions.Enable,
                        "disable" => NullableContextOptions.Disable,
                        "warnings" => NullableContextOptions.Warnings,
                        "annotations" => NullableContextOptions.Annotations,
                        _ => null,
                    };
                    if (nullable is { } n) settings = settings with { Nullable = n };
                    else problems.Add(Problem($"Nullable must be enable, disable, warnings or annotations, not '{value}'", p));
                    break;
                case "allowunsafeblocks":
                    if (bool.TryParse(value, out var allow)) settings = settings with { AllowUnsafe = allow };
                    else problems.Add(Problem($"AllowUnsafeBlocks must be true or false, not '{value}'", p));
                    break;
                case "optimize":
                    if (bool.TryParse(value, out var on)) settings = settings with { Optimization = on ? OptimizationLevel.Release : OptimizationLevel.Debug };
                    else problems.Add(Problem($"Optimize must be true or false, not '{value}'", p));
                    break;
                default:
                    problems.Add(Problem($"unknown property '{p.Name}': a snippet may set {Supported}", p));
                    break;
            }
        }
        return (settings, [.. problems]);
    }

    /// <summary>C# 10 brought global usings: below it there are no implicit usings (the SDK would fail to compile them).</summary>
    public bool HasGlobalUsings => LanguageVersion.MapSpecifiedToEffectiveVersion() >= LanguageVersion.CSharp10;

    private static LanguageVersion? ParseLanguageVersion(string text) =>
        text.Length <= 20 && LanguageVersionFacts.TryParse(text.ToLowerInvariant(), out var version) ? version : null;

    // "latest, latestmajor, preview, default, or a version from 1 to 14.0": short, and always what this Roslyn knows.
    private static string KnownVersions()
    {
        var specific = Enum.GetValues<LanguageVersion>()
            .Where(v => v == v.MapSpecifiedToEffectiveVersion() && v != LanguageVersion.Preview)
            .Order()
            .ToArray();
        return $"latest, latestmajor, preview, default, or a version from {specific[0].ToDisplayString()} to {specific[^1].ToDisplayString()}";
    }

    private static DiagnosticDto Problem(string message, PropertyDirective p) => Problem(message, p.Line, p.Column, p.Length);

    private static DiagnosticDto Problem(string message, int line, int column, int length) =>
        Directives.Error(Directives.MalformedId, message, line, column, length);
}
