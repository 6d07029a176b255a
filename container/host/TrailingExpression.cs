using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Sharpbox.Host;

// REPL semantics for a snippet's last line, as C# scripting gives them: a last top-level statement that is
// an expression without its semicolon (`1 + 1`, `DateTime.Now`, `"abc".Length`) or an expression that is
// not a statement (CS1002, CS0201) is shown after the program's own output. The compiler only asks for a
// rewrite when the source as written failed to compile with one of those two errors on that statement,
// so a program that compiles today is compiled exactly as today.
//
// The rewrite is textual and only ever inserts: `SharpboxRepl__.Show(` (Compiler.cs's alias) before the
// expression and `);` after it (a void expression, such as a call to Console.WriteLine, gets only its
// semicolon). Nothing of the user's text moves to another line, and the inserted characters are known, so
// every position in the rewritten text maps back to the user's own line and column (Map).
internal sealed class TrailingExpression
{
    /// <summary>The alias of Sharpbox.Runtime's SharpboxRepl in every compilation from C# 10 on (Compiler.cs).</summary>
    public const string ShowAlias = "SharpboxRepl__";

    public const string ShowCall = ShowAlias + ".Show(";

    private readonly (int Position, int Length)[] _insertions;

    private TrailingExpression(SourceText text, (int Position, string Text)[] insertions)
    {
        // Applied from the last to the first, so each position is the original text's.
        var changes = insertions.Select(i => new TextChange(new TextSpan(i.Position, 0), i.Text));
        Text = text.WithChanges(changes);
        _insertions = [.. insertions.OrderBy(i => i.Position).Select(i => (i.Position, i.Text.Length))];
    }

    /// <summary>The rewritten source.</summary>
    public SourceText Text { get; }

    /// <summary>
    /// The rewrites to try, best first, when `errors` (the failed compile's) say the last top-level
    /// statement is an expression without its semicolon or not a statement (CS1002, CS0201), or a lone
    /// name the parser took for the type of a declaration (`p`, `p.Name`: CS1001 and CS1002); none otherwise.
    /// </summary>
    public static IEnumerable<TrailingExpression> Candidates(SyntaxTree tree, SemanticModel model, IEnumerable<Diagnostic> errors)
    {
        if (tree.GetRoot() is not CompilationUnitSyntax root) yield break;
        // Local functions declared after it (top-level local functions are statements too) do not count.
        var last = root.Members.OfType<GlobalStatementSyntax>().LastOrDefault(g => g.Statement is not LocalFunctionStatementSyntax)?.Statement;
        if (last is null) yield break;
        var span = TextSpan.FromBounds(last.SpanStart, last.Span.End);
        var relevant = errors
            .Where(d => d.Location.SourceTree == tree && d.Id is "CS1002" or "CS0201" or "CS1001")
            .Where(d => span.Contains(d.Location.SourceSpan.Start) || d.Location.SourceSpan.Start == span.End)
            .Select(d => d.Id)
            .ToHashSet();
        var text = tree.GetText();
        switch (last)
        {
            case ExpressionStatementSyntax statement when relevant.Contains("CS1002") || relevant.Contains("CS0201"):
            {
                var expression = statement.Expression;
                var end = expression.Span.End;
                // A trailing `x.Dump()` has printed its value already: like a void call, it only gets its semicolon.
                var isVoid = model.GetTypeInfo(expression).Type?.SpecialType == SpecialType.System_Void ||
                             model.GetSymbolInfo(expression).Symbol is IMethodSymbol { Name: "Dump", ContainingType.Name: "SharpboxDumpExtensions" };
                var semicolon = statement.SemicolonToken.IsMissing ? ";" : "";
                if (!isVoid)
                    yield return new TrailingExpression(text, [(expression.SpanStart, ShowCall), (end, ")" + semicolon)]);
                // A call or an assignment that only lacked its semicolon (a void one, or one whose value
                // cannot be shown, such as a Span) is a statement once it has it.
                if (!relevant.Contains("CS0201") && semicolon.Length > 0)
                    yield return new TrailingExpression(text, [(end, semicolon)]);
                break;
            }
            // `p` or `p.Name` alone: parsed as the type of a declaration whose variable is missing.
            case LocalDeclarationStatementSyntax
            {
                SemicolonToken.IsMissing: true,
                Modifiers.Count: 0,
                UsingKeyword.RawKind: 0,
                AwaitKeyword.RawKind: 0,
                Declaration: { Type: NameSyntax type, Variables: [{ Identifier.IsMissing: true, Initializer: null, ArgumentList: null }] },
            } when relevant.Contains("CS1001"):
                yield return new TrailingExpression(text, [(type.SpanStart, ShowCall), (type.Span.End, ");")]);
                break;
        }
    }

    /// <summary>A position in the rewritten text as the same place in the user's text (inside an insertion: where it was inserted).</summary>
    public int Map(int rewritten)
    {
        var shift = 0;
        foreach (var (position, length) in _insertions)
        {
            if (rewritten < position + shift) break;
            if (rewritten < position + shift + length) return position;
            shift += length;
        }
        return rewritten - shift;
    }
}
