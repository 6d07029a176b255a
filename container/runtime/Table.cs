using System.Collections;
using System.Text;

namespace Sharpbox.Runtime;

// Dump()'s table: a collection whose element type is a record, an anonymous type or one of the user's own
// types becomes one row per item and one column per public member, as LINQPad shows it. Whether it is a
// table is decided from the static element type, before anything is enumerated, so a lazy sequence is
// read once (its side effects happen once) whichever way it is shown. Bounded like the formatter: at
// most MaxItems rows, MaxColumns columns, MaxCell characters a cell and ValueFormatter.MaxChars in all.
internal static class Table
{
    public const int MaxCell = 40;
    public const int MaxColumns = 12;

    public static bool TryRender(IEnumerable items, out string text)
    {
        text = "";
        var type = items.GetType();
        if (Shape.IsDictionary(type)) return false;
        var rowType = ElementType(type);
        if (rowType is null || !Shape.ExpandsMembers(rowType)) return false;
        var members = Shape.Members(rowType);
        if (members.Count == 0) return false;
        var columns = members.Take(MaxColumns).ToArray();

        var rows = new List<string[]>();
        string? ending = null;
        var size = 0;
        IEnumerator? e = null;
        try
        {
            e = items.GetEnumerator();
            while (true)
            {
                if (!e.MoveNext()) break;
                if (rows.Count == ValueFormatter.MaxItems)
                {
                    ending = Shape.CountOf(items) is { } total && total > rows.Count
                        ? $"(first {rows.Count} of {total:N0} items)"
                        : $"(first {rows.Count} items; more not shown)";
                    break;
                }
                var item = e.Current;
                var row = columns.Select(m => item is null ? "" : Cell(ValueFormatter.Guard(() => m.Read(item)))).ToArray();
                if (item is null) row[0] = "null";
                size += row.Sum(c => c.Length + 3);
                if (size > ValueFormatter.MaxChars)
                {
                    ending = $"(first {rows.Count} items; cut at {ValueFormatter.MaxChars:N0} characters)";
                    break;
                }
                rows.Add(row);
            }
        }
        catch (Exception ex)
        {
            ending = $"<threw {ex.GetType().Name}: {Cell(ex.Message)}> after {rows.Count} items";
        }
        finally
        {
            try { (e as IDisposable)?.Dispose(); } catch (Exception) { }
        }
        ending ??= rows.Count == 1 ? "(1 item)" : $"({rows.Count} items)";
        if (members.Count > MaxColumns) ending += $" ({members.Count - MaxColumns} more columns not shown)";

        var headers = columns.Select(m => m.Name).ToArray();
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var b = new StringBuilder();
        Line(b, headers, widths);
        b.AppendLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        foreach (var row in rows) Line(b, row, widths);
        b.Append(ending);
        text = b.ToString();
        return true;
    }

    private static void Line(StringBuilder b, string[] cells, int[] widths)
    {
        var line = string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i])));
        b.AppendLine(line.TrimEnd());
    }

    /// <summary>One value on one short line: control characters (a ToString's newlines) become spaces.</summary>
    private static string Cell(object? value)
    {
        var text = ValueFormatter.Format(value, MaxCell * 4);
        var chars = text.Select(c => char.IsControl(c) ? ' ' : c).ToArray();
        var flat = new string(chars);
        if (flat.Length <= MaxCell) return flat;
        var cut = char.IsHighSurrogate(flat[MaxCell - 2]) ? MaxCell - 2 : MaxCell - 1;
        return flat[..cut] + "…";
    }

    /// <summary>T of the IEnumerable&lt;T&gt; a collection implements (an array's element type), or null for none or several.</summary>
    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        var candidates = type.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            .Select(i => i.GetGenericArguments()[0])
            .ToArray();
        return candidates.Length == 1 ? candidates[0] : null;
    }
}
