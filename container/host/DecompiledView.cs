using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using ICSharpCode.Decompiler;
using ICSharpCode.Decompiler.CSharp;
using ICSharpCode.Decompiler.Disassembler;
using ICSharpCode.Decompiler.Metadata;
using DecompilerLanguage = ICSharpCode.Decompiler.CSharp.LanguageVersion;

namespace Sharpbox.Host;

// The `il` and `lowered` views: ICSharpCode.Decompiler (ILSpy's engine) reads the user's assembly as
// metadata and prints it. It never loads the assembly into the runtime, so no user code runs (no Main, no
// static constructor, no module initializer); but it parses an image built from hostile source, so it
// runs only here, inside a fresh exec sandbox after the lockdown filter is on (Executor.cs), never in the
// service or in the shared compile server, where a decompiler bug reachable from a crafted assembly
// would see other users' sources.
internal static class DecompiledView
{
    public static void Write(ProgramJob job, byte[] pe, TextWriter output)
    {
        using var module = new PEFile("Program.dll", new MemoryStream(pe), PEStreamOptions.PrefetchEntireImage);
        var types = UserTypes(module);
        if (job == ProgramJob.Il) WriteIl(module, types, output);
        else WriteLowered(module, types, output);
        output.Flush();
    }

    private static void WriteIl(PEFile module, IReadOnlyList<TypeDefinitionHandle> types, TextWriter output)
    {
        var text = new PlainTextOutput(output) { IndentationString = "    " };
        var disassembler = new ReflectionDisassembler(text, CancellationToken.None)
        {
            // Loops and try blocks as indented blocks, as ILSpy shows them; no metadata tokens or RVAs,
            // which are noise for a reader.
            DetectControlStructure = true,
            ShowMetadataTokens = false,
            ShowSequencePoints = false,
        };
        foreach (var type in types)
        {
            disassembler.DisassembleType(module, type);
            text.WriteLine();
        }
    }

    private static void WriteLowered(PEFile module, IReadOnlyList<TypeDefinitionHandle> types, TextWriter output)
    {
        var resolver = new UniversalAssemblyResolver("Program.dll", throwOnError: false, ".NETCoreApp,Version=v10.0");
        // The reference pack beside the host (what the user's code was compiled against) and the runtime.
        resolver.AddSearchDirectory(Compiler.DefaultReferenceDir());
        resolver.AddSearchDirectory(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory());
        var decompiler = new CSharpDecompiler(module, resolver, LoweredSettings());
        output.Write(decompiler.DecompileTypesAsString(types));
    }

    // "Lowered C#" in the sense SharpLab gives it: what the compiler turned the code into, with the
    // high-level forms it lowers (lambdas and their closure classes, iterators, async state machines,
    // using, foreach, lock, switch on strings, initializers, string interpolation, patterns…) left as the
    // classes, fields, loops and try/finally blocks they became. C# 1 is the language with none of them;
    // the C# 1 statements that are lowered too are turned off one by one.
    private static DecompilerSettings LoweredSettings()
    {
        var s = new DecompilerSettings(DecompilerLanguage.CSharp1)
        {
            UsingStatement = false,
            ForEachStatement = false,
            LockStatement = false,
            SwitchStatementOnString = false,
            ArrayInitializers = false,
            AutomaticEvents = false,
            DecimalConstants = false,
            FixedBuffers = false,
            ForStatement = false,
            DoWhileStatement = false,
            SparseIntegerSwitch = false,
            StringConcat = false,
            ThrowOnAssemblyResolveErrors = false,
            ShowXmlDocumentation = false,
        };
        return s;
    }

    // The user's own top-level types (nested ones come with their parent): not `<Module>`, and not the
    // attribute types Roslyn embeds for nullable annotations and the like, which nobody wrote.
    private static List<TypeDefinitionHandle> UserTypes(PEFile module)
    {
        var md = module.Metadata;
        var types = new List<TypeDefinitionHandle>();
        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            if (!type.GetDeclaringType().IsNil) continue;
            var name = md.GetString(type.Name);
            var ns = md.GetString(type.Namespace);
            if (name == "<Module>") continue;
            if (ns is "Microsoft.CodeAnalysis" or "System.Runtime.CompilerServices" && IsEmbedded(md, type)) continue;
            types.Add(handle);
        }
        return types;
    }

    private static bool IsEmbedded(MetadataReader md, TypeDefinition type)
    {
        foreach (var handle in type.GetCustomAttributes())
        {
            var attribute = md.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MethodDefinition) continue;
            var declaring = md.GetTypeDefinition(md.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType());
            if (md.GetString(declaring.Name) == "EmbeddedAttribute") return true;
        }
        // EmbeddedAttribute itself carries [Embedded] too, but also [CompilerGenerated] from another assembly.
        return md.GetString(type.Name) == "EmbeddedAttribute";
    }
}
