using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;

namespace Sharpbox.Host;

// Compiles one source file the way `dotnet new console` would: latest language version, top-level
// statements or a classic Main, the console template's implicit usings, nullable enabled. References
// are loaded once per process, so a long-lived host (compile-server) pays for them only at start-up.
// The diagnostics it returns are bounded (DiagnosticList.cs): hostile source can make Roslyn's messages
// millions of characters long.
public sealed class Compiler
{
    public const string UserFileName = "Program.cs";

    // The implicit usings of Microsoft.NET.Sdk console projects. They live in their own tree so the
    // user's line numbers are untouched.
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private static readonly CSharpParseOptions ParseOptions =
        CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    private static readonly CSharpCompilationOptions Options = new CSharpCompilationOptions(
            OutputKind.ConsoleApplication,
            optimizationLevel: OptimizationLevel.Release,
            allowUnsafe: true,
            nullableContextOptions: NullableContextOptions.Enable)
        .WithSpecificDiagnosticOptions([
            // Same as the SDK's defaults for a console app: missing XML docs and such are not interesting.
            new KeyValuePair<string, ReportDiagnostic>("CS1591", ReportDiagnostic.Suppress),
            // Also the SDK's (NoWarn 1701;1702): a package built for an older framework references its
            // System.Runtime, which unifies with ours; the warning would be noise on every package run.
            new KeyValuePair<string, ReportDiagnostic>("CS1701", ReportDiagnostic.Suppress),
            new KeyValuePair<string, ReportDiagnostic>("CS1702", ReportDiagnostic.Suppress),
        ]);

    private static readonly EmitOptions Emit = new(debugInformationFormat: DebugInformationFormat.PortablePdb);

    private readonly ImmutableArray<MetadataReference> _references;
    private readonly PackageCatalog _packages;
    private readonly SyntaxTree _usings;

    /// <param name="packagesDir">The allowed packages' layout (PackageCatalog.cs); the one beside the host if null.</param>
    public Compiler(string referenceDir, string? packagesDir = null)
    {
        var dlls = Directory.GetFiles(referenceDir, "*.dll");
        if (dlls.Length == 0) throw new InvalidOperationException($"no reference assemblies in {referenceDir}");
        _references = [.. dlls.Order(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
        _packages = PackageCatalog.Load(packagesDir ?? PackageManifest.DefaultDir());
        _usings = CSharpSyntaxTree.ParseText(
            SourceText.From(ImplicitUsings, Encoding.UTF8, SourceHashAlgorithm.Sha256), ParseOptions, path: "GlobalUsings.g.cs");
    }

    public static string DefaultReferenceDir() =>
        Environment.GetEnvironmentVariable("SHARPBOX_REFS") is { Length: > 0 } dir
            ? dir
            : Path.Combine(AppContext.BaseDirectory, "refs");

    public CompileResponse Compile(CompileRequest request)
    {
        var clock = Stopwatch.StartNew();
        // Directives (`#:package`, `#:property`, `#r "nuget: …"`) are read first and blanked out of the text.
        var directives = Directives.Read(request.Source);
        var text = SourceText.From(directives.Text, Encoding.UTF8, SourceHashAlgorithm.Sha256);
        var tree = CSharpSyntaxTree.ParseText(text, ParseOptions, path: UserFileName);
        // The packages asked for, and allowed, are referenced by this compilation only.
        var packages = _packages.Resolve(directives.Packages);
        var compilation = CSharpCompilation.Create("Program", [_usings, tree], _references.AddRange(packages.References), Options);

        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        var result = compilation.Emit(pe, pdb, options: Emit);
        // Sorting needs only severities and locations; messages are formatted for the kept ones alone.
        var ours = DirectiveDiagnostics(directives, packages.Diagnostics);
        var ok = result.Success && ours.Length == 0;
        var diagnostics = ours.Concat(DiagnosticList.Take(result.Diagnostics
            .Where(d => d.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning)
            // An unused implicit using is never the user's concern.
            .Where(d => d.Location.SourceTree is null || d.Location.SourceTree == tree || d.Severity == DiagnosticSeverity.Error)
            .OrderBy(d => d.Severity == DiagnosticSeverity.Error ? 0 : 1)
            .ThenBy(d => d.Location.SourceSpan.Start))).Take(DiagnosticList.MaxDiagnostics).ToArray();

        return new CompileResponse(
            request.Id,
            ok,
            diagnostics,
            ok ? Convert.ToBase64String(pe.GetBuffer(), 0, (int)pe.Length) : null,
            ok ? Convert.ToBase64String(pdb.GetBuffer(), 0, (int)pdb.Length) : null,
            clock.Elapsed.TotalMilliseconds);
    }

    // What the directives asked for that this compiler cannot give, as errors at the directive's line.
    // Properties are not offered yet: each is refused by name. Packages were resolved against the
    // allow-list (PackageCatalog.cs), which refused those not on it.
    private static DiagnosticDto[] DirectiveDiagnostics(SourceDirectives directives, DiagnosticDto[] packages) =>
    [
        .. directives.Diagnostics,
        .. directives.Properties.Select(p => Directives.Error(
            Directives.MalformedId, $"unknown property '{p.Name}'", p.Line, p.Column, p.Length)),
        .. packages,
    ];
}
