using System.Reflection;
using System.Text.Json;

namespace Sharpbox.Host;

// `sharpbox-host packages-layout ASSETS OUT STAMP`: from the project.assets.json of a restore of the
// allow-list (container/packages/Packages.csproj, restored by container/packages/layout.sh), lays out in
// OUT every compile and run-time assembly of each allowed package's dependency closure for net10.0, and
// writes the manifest (PackageManifest.cs) and, last, STAMP to OUT/.stamp.
//
// What goes in is what `dotnet build` of a net10.0 project would reference and copy, less what it never
// should give a snippet: only items under lib/ or ref/ (never analyzers/, build/, buildTransitive/,
// tools/, which hold code that runs inside a compiler or MSBuild), no `_._` placeholders, and nothing the
// shared framework carries itself (its reference pack, refs/ beside the host, has a file of that name:
// the SDK's conflict resolution would pick the framework's too). The layout is built beside OUT and
// swapped in whole, so a failed run leaves the previous layout (or none), never half of one.
internal static class PackageLayout
{
    private const string Framework = "net10.0";

    public static int Run(string assetsPath, string outDir, string stamp)
    {
        try
        {
            Write(assetsPath, Path.GetFullPath(outDir), stamp);
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or BadImageFormatException)
        {
            Console.Error.WriteLine($"packages-layout: {e.Message}");
            return 1;
        }
    }

    private static void Write(string assetsPath, string outDir, string stamp)
    {
        using var assets = JsonDocument.Parse(File.ReadAllBytes(assetsPath));
        var root = assets.RootElement;
        var nugetDir = root.GetProperty("packageFolders").EnumerateObject().First().Name;
        if (!root.GetProperty("targets").TryGetProperty(Framework, out var target))
            throw new InvalidDataException($"{assetsPath} has no {Framework} target");
        var libraries = root.GetProperty("libraries");
        // "Name/Version" keys by package id, case-insensitively as NuGet ids are compared.
        var keys = target.EnumerateObject().ToDictionary(p => p.Name[..p.Name.IndexOf('/')], p => p.Name, StringComparer.OrdinalIgnoreCase);
        var frameworkFiles = Directory.GetFiles(Compiler.DefaultReferenceDir(), "*.dll")
            .Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var staging = outDir + ".new";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);

        try
        {
            var packages = new List<ManifestPackage>();
            var assemblies = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var direct = root.GetProperty("project").GetProperty("frameworks").GetProperty(Framework).GetProperty("dependencies");
            foreach (var allowed in direct.EnumerateObject())
            {
                var key = keys.GetValueOrDefault(allowed.Name) ?? throw new InvalidDataException($"{allowed.Name} was not restored");
                var (id, version) = Split(key);
                // The allow-list names exact versions; NuGet takes the lowest match, or a higher one where the
                // feed lacks it: anything but the named version would be a different package than users are told.
                var asked = allowed.Value.GetProperty("version").GetString() ?? "";
                if (!asked.TrimStart('[').StartsWith(version + ",", StringComparison.OrdinalIgnoreCase) && asked.Trim('[', ']') != version)
                    throw new InvalidDataException($"{id}: the allow-list names {asked} but the restore resolved {version}");

                var compile = new List<string>();
                foreach (var dependency in Closure(id, target, keys))
                {
                    var entry = target.GetProperty(dependency);
                    var libraryPath = libraries.GetProperty(dependency).GetProperty("path").GetString()
                        ?? throw new InvalidDataException($"{dependency} has no path");
                    foreach (var item in Items(entry, "compile", frameworkFiles))
                        compile.Add(Copy(nugetDir, libraryPath, item, staging));
                    foreach (var item in Items(entry, "runtime", frameworkFiles))
                    {
                        var relative = Copy(nugetDir, libraryPath, item, staging);
                        var name = AssemblyName.GetAssemblyName(Path.Combine(staging, relative)).Name
                            ?? throw new InvalidDataException($"{relative} has no assembly name");
                        if (assemblies.TryGetValue(name, out var other) && other != relative)
                            throw new InvalidDataException($"two run-time assemblies named {name}: {other} and {relative}");
                        assemblies[name] = relative;
                    }
                }
                packages.Add(new ManifestPackage(id, version, [.. compile.Distinct()]));
            }

            var manifest = new PackageManifest(
                [.. packages.OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase)],
                assemblies.OrderBy(a => a.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(StringComparer.OrdinalIgnoreCase));
            File.WriteAllBytes(Path.Combine(staging, PackageManifest.FileName), JsonSerializer.SerializeToUtf8Bytes(manifest, PackageJson.Default.PackageManifest));
            File.WriteAllText(Path.Combine(staging, ".stamp"), stamp + "\n");
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
            Directory.Move(staging, outDir);
            Console.WriteLine($"packages-layout: {string.Join(", ", manifest.Packages.Select(p => $"{p.Id}@{p.Version}"))} in {outDir}");
        }
        catch
        {
            // Nothing half-made is left behind: the next layout starts clean anyway, but a reader of the
            // folder should not find a staging tree and wonder.
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private static (string Id, string Version) Split(string key) => (key[..key.IndexOf('/')], key[(key.IndexOf('/') + 1)..]);

    /// <summary>The "Name/Version" keys of a package and everything it depends on, itself first.</summary>
    private static List<string> Closure(string id, JsonElement target, Dictionary<string, string> keys)
    {
        var seen = new List<string>();
        var queue = new Queue<string>([keys[id]]);
        while (queue.TryDequeue(out var key))
        {
            if (seen.Contains(key)) continue;
            seen.Add(key);
            if (target.GetProperty(key).TryGetProperty("dependencies", out var dependencies))
                foreach (var d in dependencies.EnumerateObject())
                    queue.Enqueue(keys.GetValueOrDefault(d.Name) ?? throw new InvalidDataException($"{key} needs {d.Name}, which was not restored"));
        }
        return seen;
    }

    private static IEnumerable<string> Items(JsonElement entry, string kind, HashSet<string?> frameworkFiles)
    {
        if (!entry.TryGetProperty(kind, out var items)) yield break;
        foreach (var item in items.EnumerateObject())
        {
            var path = item.Name;
            if (Path.GetFileName(path) == "_._") continue;
            if (!(path.StartsWith("lib/", StringComparison.Ordinal) || path.StartsWith("ref/", StringComparison.Ordinal))
                || path.Split('/').Contains("..") || !path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"unexpected {kind} item {path}: only lib/ and ref/ assemblies are laid out");
            if (frameworkFiles.Contains(Path.GetFileName(path))) continue;
            yield return path;
        }
    }

    /// <summary>Copies one item of a package to the same place under `staging`; returns its path there.</summary>
    private static string Copy(string nugetDir, string libraryPath, string item, string staging)
    {
        var relative = $"{libraryPath.TrimEnd('/')}/{item}";
        var to = Path.Combine(staging, relative);
        if (!File.Exists(to))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(Path.Combine(nugetDir, relative), to);
        }
        return relative;
    }
}
