using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;

namespace Sharpbox.Host;

// Compiles one source file the way `dotnet new console` would: latest language version, top-level
// statements or a classic Main, the console template's implicit usings, nullable enabled (unless the
// snippet's properties or the request's options say otherwise: CompileSettings.cs). A snippet may end
// with an expression whose value is shown (TrailingExpression.cs) and call Dump() (container/runtime). References
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

    // Dump() without a `using` (Sharpbox.Runtime/Dump.cs). A tree of its own, left out when the snippet
    // declares a method named Dump: the user's extension would otherwise tie with ours (both are found
    // at the compilation unit) or lose to it on a better conversion, and the user's must win.
    //
    // The runtime assembly is referenced under an extern alias, not the global namespace, so a snippet's
    // own `class Sharpbox` or `namespace Sharpbox.Runtime` (which compile today) cannot collide with it.
    private const string DumpUsing = $"""
        extern alias {RuntimeAlias};
        global using {RuntimeAlias}::Sharpbox.Runtime.Dumping;
        """;

    // What the rewrite of a trailing expression calls (TrailingExpression.ShowCall), in every compilation
    // from C# 10 on: an alias adds no type to the program, and one spelled like this names nothing a
    // snippet has.
    private const string ShowUsing = $"""
        extern alias {RuntimeAlias};
        global using {TrailingExpression.ShowAlias} = {RuntimeAlias}::Sharpbox.Runtime.SharpboxRepl;
        """;

    private const string RuntimeAlias = "SharpboxRuntime";

    /// <summary>The assembly user code may call besides the BCL (container/runtime), shipped beside the host.</summary>
    public const string RuntimeAssembly = "Sharpbox.Runtime.dll";

    private static readonly EmitOptions Emit = new(debugInformationFormat: DebugInformationFormat.PortablePdb);

    private readonly ImmutableArray<MetadataReference> _references;
    // Few combinations exist (language version × debug, nullable × unsafe × optimize), so each is built once.
    private readonly ConcurrentDictionary<(LanguageVersion, bool), CSharpParseOptions> _parseOptions = new();
    private readonly ConcurrentDictionary<CompileSettings, CSharpCompilationOptions> _compilationOptions = new();
    private readonly ConcurrentDictionary<(CSharpParseOptions, string), SyntaxTree> _generatedTrees = new();

    private readonly PackageCatalog _packages;

    /// <param name="runtimeDir">Where Sharpbox.Runtime.dll is; beside the host if null.</param>
    /// <param name="packagesDir">The allowed packages' layout (PackageCatalog.cs); the one beside the host if null.</param>
    public Compiler(string referenceDir, string? runtimeDir = null, string? packagesDir = null)
    {
        var dlls = Directory.GetFiles(referenceDir, "*.dll");
        if (dlls.Length == 0) throw new InvalidOperationException($"no reference assemblies in {referenceDir}");
        var runtime = Path.Combine(runtimeDir ?? AppContext.BaseDirectory, RuntimeAssembly);
        if (!File.Exists(runtime)) throw new InvalidOperationException($"no {RuntimeAssembly} in {Path.GetDirectoryName(runtime)}");
        _references =
        [
            .. dlls.Order(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)),
            MetadataReference.CreateFromFile(runtime).WithAliases([RuntimeAlias]),
        ];
        _packages = PackageCatalog.Load(packagesDir ?? PackageManifest.DefaultDir());
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
        var (settings, settingProblems) = CompileSettings.From(request, directives.Properties);
        var parseOptions = ParseOptionsFor(settings);
        var text = SourceText.From(directives.Text, Encoding.UTF8, SourceHashAlgorithm.Sha256);
        var tree = CSharpSyntaxTree.ParseText(text, parseOptions, path: UserFileName);
        // The packages asked for, and allowed, are referenced by this compilation only.
        var packages = _packages.Resolve(directives.Packages);
        var compilation = CompilationOf(tree, settings, parseOptions, packages.References);

        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        var result = compilation.Emit(pe, pdb, options: Emit);
        TrailingExpression? rewrite = null;
        if (!result.Success)
        {
            // The snippet may end with an expression to show (TrailingExpression.cs): only now is that tried,
            // and a rewrite is kept only when it compiles.
            var model = compilation.GetSemanticModel(tree);
            foreach (var candidate in TrailingExpression.Candidates(tree, model, result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)))
            {
                // Incremental: only the rewritten statement is parsed again.
                var rewrittenTree = tree.WithChangedText(candidate.Text);
                // The same compilation with the one tree replaced: references and the other trees' declarations are reused.
                var rewritten = compilation.ReplaceSyntaxTree(tree, rewrittenTree);
                pe.SetLength(0);
                pdb.SetLength(0);
                var attempt = rewritten.Emit(pe, pdb, options: Emit);
                if (!attempt.Success) continue;
                (tree, result, rewrite) = (rewrittenTree, attempt, candidate);
                break;
            }
        }
        // Sorting needs only severities and locations; messages are formatted for the kept ones alone.
        var ours = DirectiveDiagnostics(directives, settingProblems, packages.Diagnostics);
        var ok = result.Success && ours.Length == 0;
        var userTree = tree;
        var diagnostics = ours.Concat(DiagnosticList.Take(result.Diagnostics
            .Where(d => d.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning)
            // An unused implicit using is never the user's concern.
            .Where(d => d.Location.SourceTree is null || d.Location.SourceTree == userTree || d.Severity == DiagnosticSeverity.Error)
            .OrderBy(d => d.Severity == DiagnosticSeverity.Error ? 0 : 1)
            .ThenBy(d => d.Location.SourceSpan.Start),
            rewrite is { } r ? d => UserSpan(d, userTree, r, text) : null)).Take(DiagnosticList.MaxDiagnostics).ToArray();

        return new CompileResponse(
            request.Id,
            ok,
            diagnostics,
            ok ? Convert.ToBase64String(pe.GetBuffer(), 0, (int)pe.Length) : null,
            ok ? Convert.ToBase64String(pdb.GetBuffer(), 0, (int)pdb.Length) : null,
            clock.Elapsed.TotalMilliseconds);
    }

    private CSharpCompilation CompilationOf(
        SyntaxTree tree, CompileSettings settings, CSharpParseOptions parseOptions, IEnumerable<MetadataReference> packages)
    {
        var trees = new List<SyntaxTree>(4);
        if (settings.HasGlobalUsings)
        {
            trees.Add(GeneratedTree(parseOptions, ImplicitUsings, "GlobalUsings.g.cs"));
            trees.Add(GeneratedTree(parseOptions, ShowUsing, "GlobalUsings.Show.g.cs"));
            if (!DeclaresDump(tree)) trees.Add(GeneratedTree(parseOptions, DumpUsing, "GlobalUsings.Dump.g.cs"));
        }
        trees.Add(tree);
        return CSharpCompilation.Create(
            "Program", trees, _references.AddRange(packages), _compilationOptions.GetOrAdd(settings, CompilationOptionsFor));
    }

    private static bool DeclaresDump(SyntaxTree tree) =>
        tree.GetRoot().DescendantNodes().Any(n => n switch
        {
            MethodDeclarationSyntax m => m.Identifier.ValueText == "Dump",
            LocalFunctionStatementSyntax f => f.Identifier.ValueText == "Dump",
            _ => false,
        });

    // The trees of every compilation of one language version must share its parse options (Roslyn refuses
    // a compilation whose trees disagree), so the generated trees are parsed once per options.
    private SyntaxTree GeneratedTree(CSharpParseOptions options, string source, string path) =>
        _generatedTrees.GetOrAdd((options, path), key => CSharpSyntaxTree.ParseText(
            SourceText.From(source, Encoding.UTF8, SourceHashAlgorithm.Sha256), key.Item1, path: key.Item2));

    private CSharpParseOptions ParseOptionsFor(CompileSettings settings)
    {
        var debug = settings.Optimization == OptimizationLevel.Debug;
        return _parseOptions.GetOrAdd((settings.LanguageVersion, debug), key =>
        {
            var options = CSharpParseOptions.Default.WithLanguageVersion(key.Item1);
            return key.Item2 ? options.WithPreprocessorSymbols("DEBUG") : options;
        });
    }

    private static CSharpCompilationOptions CompilationOptionsFor(CompileSettings settings) =>
        new CSharpCompilationOptions(
                OutputKind.ConsoleApplication,
                optimizationLevel: settings.Optimization,
                allowUnsafe: settings.AllowUnsafe,
                nullableContextOptions: settings.Nullable)
            .WithSpecificDiagnosticOptions([
                // Same as the SDK's defaults for a console app: missing XML docs and such are not interesting.
                new KeyValuePair<string, ReportDiagnostic>("CS1591", ReportDiagnostic.Suppress),
                // Also the SDK's (NoWarn 1701;1702): a package built for an older framework references its
                // System.Runtime, which unifies with ours; the warning would be noise on every package run.
                new KeyValuePair<string, ReportDiagnostic>("CS1701", ReportDiagnostic.Suppress),
                new KeyValuePair<string, ReportDiagnostic>("CS1702", ReportDiagnostic.Suppress),
            ]);

    // A diagnostic in the rewritten user tree, at the user's own line and column.
    private static LinePositionSpan? UserSpan(Diagnostic d, SyntaxTree rewrittenTree, TrailingExpression rewrite, SourceText original)
    {
        if (d.Location.SourceTree != rewrittenTree) return null;
        var span = d.Location.SourceSpan;
        var start = rewrite.Map(span.Start);
        var end = Math.Max(start, rewrite.Map(span.End));
        return new LinePositionSpan(original.Lines.GetLinePosition(start), original.Lines.GetLinePosition(end));
    }

    // What the directives asked for that this compiler cannot give, as errors at the directive's line.
    // Properties (and the request's options) were checked by CompileSettings.cs; packages were resolved
    // against the allow-list (PackageCatalog.cs), which refused those not on it.
    private static DiagnosticDto[] DirectiveDiagnostics(
        SourceDirectives directives, DiagnosticDto[] settingProblems, DiagnosticDto[] packages) =>
    [
        .. directives.Diagnostics,
        .. settingProblems,
        .. packages,
    ];
}
