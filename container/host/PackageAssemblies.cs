using System.Reflection;
using System.Runtime.Loader;

namespace Sharpbox.Host;

// Binds a program's references to the allowed packages at run time: by simple assembly name, through
// the manifest, to a file in the packages folder beside the host (read-only in every sandbox), and to
// nothing else. The compiler only ever referenced these (PackageCatalog.cs), so a name it does not know
// fails as any missing assembly does (FileNotFoundException).
//
// AppDomain.AssemblyResolve and not AssemblyLoadContext.Default.Resolving: Assembly.Load(byte[]) puts
// the user's assembly in an ALC of its own, whose failed binds raise that ALC's Resolving event and
// then AssemblyResolve, never the default context's Resolving; AssemblyResolve also covers a package's
// own references (Spectre.Console → Spectre.Console.Ansi), which bind in the default context where the
// package is loaded. The manifest is read on the first miss, so a program without packages never reads it.
internal static class PackageAssemblies
{
    public static void Install(string dir)
    {
        var assemblies = new Lazy<Dictionary<string, string>>(() =>
            PackageManifest.Read(dir)?.Assemblies is { } map
                ? new Dictionary<string, string>(map, StringComparer.OrdinalIgnoreCase)
                : new Dictionary<string, string>());
        AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
        {
            var name = new AssemblyName(args.Name).Name;
            if (name is null || !assemblies.Value.TryGetValue(name, out var relative)) return null;
            return PackageManifest.Resolve(dir, relative) is { } path
                ? AssemblyLoadContext.Default.LoadFromAssemblyPath(path)
                : null;
        };
    }
}
