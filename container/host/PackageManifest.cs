using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sharpbox.Host;

// What `packages-layout` (PackageLayout.cs) writes to packages/manifest.json beside the host and what the
// compiler (PackageCatalog.cs) and the executor (PackageAssemblies.cs) read. Every path is relative to
// the packages folder and uses '/'.
//
// Packages: each allowed package with the compile references of its whole dependency closure (a
// compilation that asks for Spectre.Console gets Spectre.Console.Ansi too). Assemblies: every run-time
// assembly of every closure by simple assembly name (one restore resolves one version of each package,
// so a name is unique); a program's reference is bound by that name alone.
public sealed record PackageManifest(ManifestPackage[] Packages, Dictionary<string, string> Assemblies)
{
    public const string FileName = "manifest.json";

    /// <summary>The packages folder beside the host (SHARPBOX_PACKAGES overrides it, as SHARPBOX_REFS does the refs).</summary>
    public static string DefaultDir() =>
        Environment.GetEnvironmentVariable("SHARPBOX_PACKAGES") is { Length: > 0 } dir
            ? dir
            : Path.Combine(AppContext.BaseDirectory, "packages");

    /// <summary>The manifest in `dir`, or null where there is none (a host built without scripts/setup.sh).</summary>
    public static PackageManifest? Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, PackageJson.Default.PackageManifest)
            ?? throw new InvalidDataException($"{path} is empty");
    }

    /// <summary>
    /// The absolute path of a manifest entry, which must stay inside the packages folder: the manifest is
    /// ours, but nothing outside that folder is ever worth loading, so a bad entry is refused, not followed.
    /// </summary>
    public static string? Resolve(string dir, string relative)
    {
        var root = Path.GetFullPath(dir).TrimEnd('/') + "/";
        var full = Path.GetFullPath(Path.Combine(root, relative));
        return full.StartsWith(root, StringComparison.Ordinal) ? full : null;
    }
}

/// <summary>One allowed package: its NuGet id and version, and the compile references of its closure.</summary>
public sealed record ManifestPackage(string Id, string Version, string[] Compile);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(PackageManifest))]
internal sealed partial class PackageJson : JsonSerializerContext;
