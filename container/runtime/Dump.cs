using System.Collections;

namespace Sharpbox.Runtime.Dumping;

/// <summary>
/// `value.Dump()` and `value.Dump("title")`, as LINQPad and SharpLab offer them: prints the value for
/// people (a table for a collection of records, anonymous objects or objects of the user's own types;
/// one line otherwise) and returns it, so it chains. Its namespace is imported by the compiler's implicit
/// usings, unless the snippet declares a method named Dump of its own (that one then wins: Compiler.cs).
/// </summary>
public static class SharpboxDumpExtensions
{
    public static T Dump<T>(this T value, string? title = null)
    {
        if (title is not null) Console.Out.WriteLine($"{ValueFormatter.Format(title, 200, quoteStrings: false)}:");
        // A string prints as itself, as in LINQPad; inside anything else it is quoted.
        var text = value is IEnumerable and not string && Table.TryRender((IEnumerable)value, out var table)
            ? table
            : ValueFormatter.Format(value, quoteStrings: false);
        Console.Out.WriteLine(text);
        return value;
    }
}
