using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Sharpbox.Host;

// The `asm` view: the runtime's own JIT disassembler (DOTNET_JitDisasm) on the user's methods, in a
// sandbox launched for it, since the JIT reads its settings once at start-up (the runner sets them:
// src/runner/backends/local/index.ts asmEnv). Main is not run: every non-generic method of the user's
// types is compiled with RuntimeHelpers.PrepareMethod instead, as SharpLab does.
//
// PrepareMethod is not free of user code: with full opts the JIT may run a beforefieldinit static
// constructor to read a static readonly field as a constant, and touching the module runs its
// initializer. That is contained like any run: the lockdown filter is on, the sandbox's limits hold, and
// whatever it prints is capped output.
//
// The JIT writes to DOTNET_JitStdOutFile (a file in this sandbox's /tmp) through a buffered C stream of
// its own, which nothing in .NET can flush; libc's fflush(NULL) flushes every stream of the process,
// that one included. The file also holds the host's own methods, compiled before the user's assembly was
// even read: only the listings of the user's own types are kept (their names as the JIT prints them).
internal static class JitListing
{
    public const string OutFileVariable = "DOTNET_JitStdOutFile";
    private const string Header = "; Assembly listing for method ";

    [DllImport("libc", EntryPoint = "fflush")]
    private static extern int fflush(IntPtr stream);

    public static void Write(Assembly assembly, TextWriter output)
    {
        var path = Environment.GetEnvironmentVariable(OutFileVariable)
            ?? throw new InvalidOperationException($"{OutFileVariable} is not set: the asm sandbox was launched without its JIT settings");
        var types = LoadableTypes(assembly);
        var names = types.Select(t => t.FullName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var skipped = new List<string>();
        foreach (var type in types)
        {
            if (type.ContainsGenericParameters)
            {
                skipped.Add($"{type.FullName} (generic type: its methods compile per instantiation)");
                continue;
            }
            foreach (var method in Methods(type))
            {
                var name = $"{type.FullName}:{method.Name}";
                if (method.ContainsGenericParameters) skipped.Add($"{name} (generic method)");
                else if (method.IsAbstract || method.GetMethodBody() is null) continue;
                else
                {
                    try
                    {
                        RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    }
                    catch (Exception e)
                    {
                        skipped.Add($"{name} ({e.GetType().Name})");
                    }
                }
            }
        }
        fflush(IntPtr.Zero);
        var listed = 0;
        foreach (var block in Listings(File.ReadAllText(path)))
        {
            if (!names.Contains(ClassOf(block))) continue;
            output.Write(block);
            listed++;
        }
        if (listed == 0) output.WriteLine("; no method of the program's own types was compiled (do the names given match any?)");
        foreach (var s in skipped) output.WriteLine($"; not compiled: {s}");
        output.Flush();
    }

    private static Type[] LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return [.. e.Types.OfType<Type>()];
        }
    }

    private static IEnumerable<MethodBase> Methods(Type type)
    {
        const BindingFlags all = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
        return [.. type.GetMethods(all), .. type.GetConstructors(all)];
    }

    /// <summary>The listing file cut into one block per method, each from its header line to the next.</summary>
    internal static IEnumerable<string> Listings(string text)
    {
        var at = text.IndexOf(Header, StringComparison.Ordinal);
        while (at >= 0)
        {
            var next = text.IndexOf("\n" + Header, at + 1, StringComparison.Ordinal);
            var end = next < 0 ? text.Length : next + 1;
            yield return text[at..end];
            at = next < 0 ? -1 : next + 1;
        }
    }

    /// <summary>
    /// The class a listing is for, as Type.FullName spells it: the header reads `Namespace.Outer+Inner:Method(args)…`
    /// (a type's generic arguments in brackets after its name).
    /// </summary>
    internal static string ClassOf(string block)
    {
        var newline = block.IndexOf('\n');
        var line = block[Header.Length..(newline >= 0 ? newline : block.Length)];
        var colon = line.IndexOf(':');
        var cls = colon < 0 ? line : line[..colon];
        var bracket = cls.IndexOf('[');
        return bracket < 0 ? cls : cls[..bracket];
    }
}
