using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Sharpbox.Runtime;

// Renders any value for people, on one line: what a snippet's trailing expression shows and what Dump()
// prints outside its tables. It runs the user's own code (property getters, ToString, MoveNext) inside
// the user's sandbox, so every way that code can misbehave is bounded here, not trusted:
// - an enumerable is read to MaxItems and no further (an infinite one ends with a note, never a hang);
// - nesting stops at MaxDepth, and an object met again on its own path is a cycle, shown as such (by
//   reference identity, so an Equals override cannot hide or fake one);
// - the text stops at MaxChars, with a note of what was cut;
// - an exception from a getter, ToString or an enumerator is shown in place of the value, never thrown.
// A ToString that loops for ever is the run's wall clock's business, as in any other program.
internal sealed class ValueFormatter
{
    public const int MaxDepth = 4;
    public const int MaxItems = 100;
    public const int MaxMembers = 40;
    public const int MaxChars = 10_000;

    private readonly StringBuilder _text = new();
    private readonly int _maxChars;
    private readonly HashSet<object> _path = new(ReferenceEqualityComparer.Instance);

    private ValueFormatter(int maxChars) => _maxChars = maxChars;

    /// <summary>`value` on one line, at most `maxChars` characters plus a note of what was cut.</summary>
    public static string Format(object? value, int maxChars = MaxChars, bool quoteStrings = true)
    {
        var f = new ValueFormatter(maxChars);
        try
        {
            if (!quoteStrings && value is string s) f.WriteRawString(s);
            else f.Write(value, 0);
        }
        catch (CutException e)
        {
            if (!e.Noted) f._text.Append($"… (cut at {maxChars:N0} characters)");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The formatter's own bug must not become the program's failure.
            f._text.Append($"<could not format: {e.GetType().Name}>");
        }
        return f._text.ToString();
    }

    private void Write(object? value, int depth)
    {
        if (value is null)
        {
            Append("null");
            return;
        }
        var type = value.GetType();
        switch (value)
        {
            case string s:
                WriteString(s);
                return;
            case char c:
                Append(CharLiteral(c));
                return;
            case bool b:
                Append(b ? "true" : "false");
                return;
            case Type t:
                Append(TypeNames.Of(t));
                return;
            case Delegate:
                Append(TypeNames.Of(type));
                return;
            case Exception e:
                Append($"{TypeNames.Of(type)}: ");
                WriteString(e.Message);
                return;
            case Task task:
                // Never .Result: an unfinished task would block the program until its wall clock.
                Append($"{TypeNames.Of(type)} ({task.Status})");
                return;
        }
        if (type.IsPrimitive || type.IsEnum || value is decimal || !IsComposite(type))
        {
            Append(SafeToString(value));
            return;
        }
        if (depth >= MaxDepth)
        {
            var name = Shape.Name(type);
            Append(IsEnumerable(value) ? "[…]" : name.Length > 0 ? $"{name} {{ … }}" : "{ … }");
            return;
        }
        if (!type.IsValueType && !_path.Add(value))
        {
            Append($"<cycle: {TypeNames.Of(type)}>");
            return;
        }
        try
        {
            if (Shape.IsTuple(type)) WriteTuple((ITuple)value, depth);
            else if (Shape.KeyValue(value) is { } pair) WriteKeyValue(pair, depth);
            else if (value is IEnumerable items) WriteItems(items, depth);
            else if (Shape.ExpandsMembers(type)) WriteMembers(value, type, depth);
            else Append(SafeToString(value));
        }
        finally
        {
            if (!type.IsValueType) _path.Remove(value);
        }
    }

    // Framework types with their own text (numbers, dates, Guid, Uri…) print as themselves; enumerables,
    // tuples, anonymous types, records and the user's own types are taken apart.
    private static bool IsComposite(Type type) =>
        Shape.IsTuple(type) || type.IsAssignableTo(typeof(IEnumerable)) || Shape.IsKeyValuePair(type) || Shape.ExpandsMembers(type) || !Shape.IsFramework(type);

    private static bool IsEnumerable(object value) => value is IEnumerable and not string;

    private void WriteTuple(ITuple tuple, int depth)
    {
        Append("(");
        for (var i = 0; i < tuple.Length; i++)
        {
            if (i > 0) Append(", ");
            Write(Guard(() => tuple[i]), depth + 1);
        }
        Append(")");
    }

    private void WriteKeyValue((object? Key, object? Value) pair, int depth)
    {
        Append("[");
        Write(pair.Key, depth + 1);
        Append(", ");
        Write(pair.Value, depth + 1);
        Append("]");
    }

    private void WriteItems(IEnumerable items, int depth)
    {
        var dictionary = Shape.IsDictionary(items.GetType());
        Append(dictionary ? "{ " : "[");
        var count = 0;
        IEnumerator? e = null;
        try
        {
            var en = items.GetEnumerator();
            e = en;
            while (true)
            {
                bool more;
                try
                {
                    more = en.MoveNext();
                }
                catch (Exception ex) when (ex is not CutException)
                {
                    if (count > 0) Append(", ");
                    Append(Threw(ex));
                    break;
                }
                if (!more) break;
                if (count == MaxItems)
                {
                    Append(MoreItems(items, count));
                    break;
                }
                if (count > 0) Append(", ");
                var item = Guard(() => en.Current);
                if (dictionary && Shape.KeyValue(item) is { } pair)
                {
                    Append("[");
                    Write(pair.Key, depth + 1);
                    Append("] = ");
                    Write(pair.Value, depth + 1);
                }
                else Write(item, depth + 1);
                count++;
            }
        }
        catch (Exception ex) when (ex is not CutException)
        {
            Append(Threw(ex));
        }
        finally
        {
            try { (e as IDisposable)?.Dispose(); } catch (Exception ex) when (ex is not CutException) { }
        }
        Append(dictionary ? (count == 0 ? "}" : " }") : "]");
    }

    /// <summary>The note after the last item shown: how many more, when the collection can say without being read.</summary>
    internal static string MoreItems(object items, int shown) =>
        Shape.CountOf(items) is { } total && total > shown ? $", … {total - shown:N0} more items" : ", … (more items not shown)";

    private void WriteMembers(object value, Type type, int depth)
    {
        var name = Shape.Name(type);
        var members = Shape.Members(type);
        if (members.Count == 0)
        {
            Append(name.Length > 0 ? $"{name} {{ }}" : "{ }");
            return;
        }
        Append(name.Length > 0 ? $"{name} {{ " : "{ ");
        for (var i = 0; i < members.Count && i < MaxMembers; i++)
        {
            if (i > 0) Append(", ");
            Append($"{members[i].Name} = ");
            var member = members[i];
            Write(Guard(() => member.Read(value)), depth + 1);
        }
        if (members.Count > MaxMembers) Append($", … {members.Count - MaxMembers} more members");
        Append(" }");
    }

    private void WriteString(string s)
    {
        var room = _maxChars - _text.Length;
        var literal = StringLiteral(s, room);
        if (literal.Cut > 0)
        {
            _text.Append(literal.Text).Append($"… ({literal.Cut:N0} more characters)");
            throw new CutException(noted: true);
        }
        Append(literal.Text);
    }

    private void WriteRawString(string s)
    {
        if (s.Length <= _maxChars)
        {
            _text.Append(s);
            return;
        }
        var take = SafeCut(s, _maxChars);
        _text.Append(s, 0, take).Append($"… ({s.Length - take:N0} more characters)");
    }

    /// <summary>A C# string literal of `s`, as long as fits in `room`; `Cut` counts the characters of `s` left out.</summary>
    private static (string Text, int Cut) StringLiteral(string s, int room)
    {
        var b = new StringBuilder("\"");
        for (var i = 0; i < s.Length; i++)
        {
            var piece = Escape(s[i], '"');
            if (b.Length + piece.Length + 1 > room)
            {
                // Never split a surrogate pair.
                if (i > 0 && char.IsHighSurrogate(s[i - 1])) { b.Length--; i--; }
                return (b.ToString(), s.Length - i);
            }
            b.Append(piece);
        }
        return (b.Append('"').ToString(), 0);
    }

    private static string CharLiteral(char c) => $"'{Escape(c, '\'')}'";

    private static string Escape(char c, char quote) => c switch
    {
        '\\' => "\\\\",
        '\0' => "\\0",
        '\a' => "\\a",
        '\b' => "\\b",
        '\f' => "\\f",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\v' => "\\v",
        _ when c == quote => "\\" + c,
        _ when char.IsControl(c) => $"\\u{(int)c:x4}",
        _ => c.ToString(),
    };

    private void Append(string s)
    {
        var room = _maxChars - _text.Length;
        if (s.Length <= room)
        {
            _text.Append(s);
            return;
        }
        _text.Append(s, 0, SafeCut(s, room));
        throw new CutException(noted: false);
    }

    private static int SafeCut(string s, int length) =>
        length > 0 && length < s.Length && char.IsHighSurrogate(s[length - 1]) ? length - 1 : Math.Max(0, Math.Min(length, s.Length));

    private static string SafeToString(object value)
    {
        try
        {
            return value.ToString() ?? "null";
        }
        catch (Exception e)
        {
            return Threw(e);
        }
    }

    /// <summary>The value, or the exception its getter threw as a value of its own.</summary>
    internal static object? Guard(Func<object?> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not CutException)
        {
            return new Failure(e is TargetInvocationException { InnerException: { } inner } ? inner : e);
        }
    }

    private static string Threw(Exception e) => $"<threw {e.GetType().Name}: {e.Message}>";

    /// <summary>What a getter threw, shown where its value would be.</summary>
    internal sealed class Failure(Exception e)
    {
        public override string ToString() => ValueFormatter.Threw(e);
    }

    private sealed class CutException(bool noted) : Exception
    {
        public bool Noted { get; } = noted;
    }
}
