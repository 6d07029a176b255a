using System.Text;
using System.Text.RegularExpressions;

namespace Sharpbox.Host;

// The directives a snippet may start with, spelled as .NET 10's file-based programs spell them
// (`#:package Name@Version`, `#:property Name=Value`) and as C# scripts and notebooks do
// (`#r "nuget: Name, Version"`), plus a `#!` first line. They are read here and blanked out of the text
// Roslyn sees (each of their characters becomes a space), so every line and column of the user's code
// stays where it was and diagnostics need no mapping.
//
// Only the lines before the first line of code are directives (as in the SDK, which refuses them after
// the first token): a later line that happens to start with `#:` (say, inside a raw string literal) is
// the program's own text and is never touched; where it is not in a string, Roslyn reports it.
public sealed record PackageDirective(string Name, string? Version, int Line, int Column, int Length);

public sealed record PropertyDirective(string Name, string Value, int Line, int Column, int Length);

public sealed record SourceDirectives(
    string Text, PackageDirective[] Packages, PropertyDirective[] Properties, DiagnosticDto[] Diagnostics);

public static partial class Directives
{
    /// <summary>A directive sharpbox does not understand, or one it understands written wrongly.</summary>
    public const string MalformedId = "SB0100";

    public static SourceDirectives Read(string source)
    {
        var text = new StringBuilder(source);
        var packages = new List<PackageDirective>();
        var properties = new List<PropertyDirective>();
        var diagnostics = new List<DiagnosticDto>();
        var lineNumber = 0;
        for (var start = 0; start < source.Length;)
        {
            lineNumber++;
            var end = source.IndexOf('\n', start);
            if (end < 0) end = source.Length;
            var line = source[start..end].TrimEnd('\r');
            var indent = line.Length - line.TrimStart().Length;
            var body = line.Trim();
            var column = indent + 1;

            if (lineNumber == 1 && line.StartsWith("#!", StringComparison.Ordinal))
                Blank(text, start, line.Length);
            else if (body.StartsWith("#:", StringComparison.Ordinal))
            {
                Blank(text, start + indent, body.Length);
                ReadColon(body, lineNumber, column, packages, properties, diagnostics);
            }
            else if (IsR(body))
            {
                Blank(text, start + indent, body.Length);
                ReadR(body, lineNumber, column, packages, diagnostics);
            }
            else if (body.Length > 0 && !body.StartsWith("//", StringComparison.Ordinal))
                break; // the first line of code: nothing after it is a directive

            start = end + 1;
        }
        return new SourceDirectives(text.ToString(), [.. packages], [.. properties], [.. diagnostics]);
    }

    /// <summary>An error at a directive, for the compile response.</summary>
    public static DiagnosticDto Error(string id, string message, int line, int column, int length) =>
        new(id, "error", Truncation.Cut(message, DiagnosticList.MaxMessageChars), line, column, line, column + length);

    private static void Blank(StringBuilder text, int from, int length)
    {
        for (var i = from; i < from + length; i++) text[i] = ' ';
    }

    private static bool IsR(string body) =>
        body.StartsWith("#r", StringComparison.Ordinal) && (body.Length == 2 || char.IsWhiteSpace(body[2]) || body[2] == '"');

    private static void ReadColon(
        string body, int line, int column,
        List<PackageDirective> packages, List<PropertyDirective> properties, List<DiagnosticDto> diagnostics)
    {
        var rest = body[2..];
        var space = rest.IndexOfAny([' ', '\t']);
        var kind = space < 0 ? rest : rest[..space];
        var argument = space < 0 ? "" : rest[space..].Trim();
        switch (kind)
        {
            case "package":
                // Name@Version, or Name alone (the allow-list's version); NuGet ids are letters, digits, . _ -
                var package = PackageSpec().Match(argument);
                if (package.Success)
                    packages.Add(new PackageDirective(
                        package.Groups["name"].Value, NullIfEmpty(package.Groups["version"].Value), line, column, body.Length));
                else
                    diagnostics.Add(Error(MalformedId, $"expected '#:package Name@Version', got '#:package {argument}'", line, column, body.Length));
                break;
            case "property":
                var eq = argument.IndexOf('=');
                if (eq > 0 && PropertyName().IsMatch(argument[..eq].Trim()))
                    properties.Add(new PropertyDirective(argument[..eq].Trim(), argument[(eq + 1)..].Trim(), line, column, body.Length));
                else
                    diagnostics.Add(Error(MalformedId, $"expected '#:property Name=Value', got '#:property {argument}'", line, column, body.Length));
                break;
            default:
                diagnostics.Add(Error(MalformedId,
                    $"'#:{kind}' is not supported here: a snippet may use '#:package Name@Version' and '#:property Name=Value'",
                    line, column, body.Length));
                break;
        }
    }

    private static void ReadR(string body, int line, int column, List<PackageDirective> packages, List<DiagnosticDto> diagnostics)
    {
        // #r "nuget: Name, Version" (the version may also follow a slash, as in Polyglot Notebooks' older form)
        var match = NugetReference().Match(body);
        if (match.Success)
            packages.Add(new PackageDirective(
                match.Groups["name"].Value, NullIfEmpty(match.Groups["version"].Value), line, column, body.Length));
        else
            diagnostics.Add(Error(MalformedId,
                "#r takes only a package here, as '#r \"nuget: Name, Version\"': a snippet cannot reference files",
                line, column, body.Length));
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99})(@(?<version>[A-Za-z0-9.\-+*]{1,64}))?$")]
    private static partial Regex PackageSpec();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.]{0,99}$")]
    private static partial Regex PropertyName();

    [GeneratedRegex(@"^#r\s*""\s*nuget\s*:\s*(?<name>[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99})\s*([,/]\s*(?<version>[A-Za-z0-9.\-+*]{1,64})\s*)?""\s*$")]
    private static partial Regex NugetReference();
}
