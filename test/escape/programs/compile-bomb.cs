// Attack: make the compiler, not the program, do unbounded work: nested lambdas passed to a method with
// five overloads make Roslyn's overload resolution try 5^depth bindings.
// How: eight levels of O.M(x => ...) where only the string overload binds.
// Contained when: the compile step is killed at its own time limit and reported as a compile error,
// without touching other runs.
// concurrent-benign: true
// expect-status: compile_error
O.M(x0 => { O.M(x1 => { O.M(x2 => { O.M(x3 => { O.M(x4 => { O.M(x5 => { O.M(x6 => { O.M(x7 => { System.Console.WriteLine(x0.Length + x1.Length + x2.Length + x3.Length + x4.Length + x5.Length + x6.Length + x7.Length); }); }); }); }); }); }); }); });
static class O
{
    public static void M(Action<int> a) { }
    public static void M(Action<string> a) { }
    public static void M(Action<long> a) { }
    public static void M(Action<double> a) { }
    public static void M(Action<byte> a) { }
}
