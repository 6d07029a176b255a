using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Sharpbox.Host;

// Turns Roslyn's diagnostics into the bounded list a compile response carries. Unbounded, one 471-byte
// source (a tuple type doubled twenty times, assigned to int) produced three messages of 14.7 million
// characters each: a 44 MB response. The bounds are far above what any person reads.
internal static class DiagnosticList
{
    public const int MaxDiagnostics = 100;
    public const int MaxMessageChars = 1_000;
    public const int MaxTotalMessageChars = 64_000;
    public const string MoreId = "SB0006";
    // Room kept for SB0006's own message ("N more diagnostics not shown"), so the total holds with it.
    private const int MoreRoom = 64;

    /// <summary>
    /// The first diagnostics of an already sorted sequence, each message cut to MaxMessageChars, until
    /// either cap is reached; then one SB0006 that counts the rest. Only the diagnostics kept are
    /// formatted (a message is built by GetMessage, and that is where a huge one comes into being), and
    /// the rest are only counted. `position`, when given, places a diagnostic in the user's own text (the
    /// compiler rewrote a trailing expression); where it answers null, Roslyn's own position stands.
    /// </summary>
    public static DiagnosticDto[] Take(IEnumerable<Diagnostic> sorted, Func<Diagnostic, LinePositionSpan?>? position = null)
    {
        var kept = new List<DiagnosticDto>();
        var total = 0;
        int droppedErrors = 0, droppedWarnings = 0;
        foreach (var d in sorted)
        {
            if (droppedErrors + droppedWarnings == 0 && kept.Count < MaxDiagnostics)
            {
                var dto = ToDto(d, position?.Invoke(d));
                if (total + dto.Message.Length <= MaxTotalMessageChars - MoreRoom)
                {
                    kept.Add(dto);
                    total += dto.Message.Length;
                    continue;
                }
            }
            // Once one is dropped, all after it are: the list stays a prefix of the sorted order.
            if (d.Severity == DiagnosticSeverity.Error) droppedErrors++;
            else droppedWarnings++;
        }
        var dropped = droppedErrors + droppedWarnings;
        if (dropped > 0)
        {
            // An error among the dropped makes the note an error: the compile failed for a reason not shown.
            var severity = droppedErrors > 0 ? "error" : "warning";
            kept.Add(new DiagnosticDto(MoreId, severity, $"{dropped} more diagnostics not shown", 0, 0, 0, 0));
        }
        return [.. kept];
    }

    private static DiagnosticDto ToDto(Diagnostic d, LinePositionSpan? user)
    {
        var span = d.Location.GetMappedLineSpan();
        var (line, col, endLine, endCol) = user is { } u
            ? (u.Start.Line + 1, u.Start.Character + 1, u.End.Line + 1, u.End.Character + 1)
            : span.IsValid
            ? (span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1,
               span.EndLinePosition.Line + 1, span.EndLinePosition.Character + 1)
            : (0, 0, 0, 0);
        var severity = d.Severity == DiagnosticSeverity.Error ? "error" : "warning";
        var message = Truncation.Cut(d.GetMessage(CultureInfo.InvariantCulture), MaxMessageChars);
        return new DiagnosticDto(d.Id, severity, message, line, col, endLine, endCol);
    }
}
