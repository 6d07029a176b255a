// Attack: the same as verdict-module-initializer.cs through a static constructor of the entry point's
// class, which the runtime runs when the host binds Main.
// How: a static constructor of Program writes to stderr and exits with 125, the launcher's "could not
// set up the sandbox" code.
// Contained when: the run is the user's runtime_error, never internal_error.
// expect-status: runtime_error
class Program
{
    static Program() { Console.Error.WriteLine("the sandbox could not be set up"); Environment.Exit(125); }
    static void Main() => Console.WriteLine("never reached");
}
