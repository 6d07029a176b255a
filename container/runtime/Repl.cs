namespace Sharpbox.Runtime;

/// <summary>
/// The value of a snippet's trailing expression: the compiler rewrites a last line such as `1 + 1`
/// (an expression without its semicolon, or one that is not a statement) into a call of Show, as C#
/// scripting prints a submission's value. The compiler reaches it through an extern alias and a global
/// using alias (SharpboxRepl__), so no name of the user's can capture it or collide with it.
/// </summary>
public static class SharpboxRepl
{
    public static void Show(object? value) => Console.Out.WriteLine(ValueFormatter.Format(value));
}
