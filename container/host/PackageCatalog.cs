using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Sharpbox.Host;

// The packages a snippet may ask for (`#:package Name@Version`, `#r "nuget: Name, Version"`): the
// allow-list laid out beside the host (PackageManifest.cs), loaded once per process. A package on the
// list gives its closure's compile references to that one compilation; anything else is an error at the
// directive that says what is available. Only lib/ and ref/ assemblies were laid out, and they go in as
// metadata references: no analyzer or source generator of a package ever runs in the compiler.
public sealed class PackageCatalog
{
    /// <summary>A package that is not on the allow-list, or not at the version asked for.</summary>
    public const string UnavailableId = "SB0110";

    private readonly Dictionary<string, (ManifestPackage Package, ImmutableArray<MetadataReference> References)> _byId;

    /// <summary>What is available, as `Name@Version, …` for the diagnostic ("none" without a layout).</summary>
    public string Available { get; }

    private PackageCatalog(Dictionary<string, (ManifestPackage, ImmutableArray<MetadataReference>)> byId)
    {
        _byId = byId;
        Available = byId.Count == 0
            ? "none"
            : string.Join(", ", byId.Values.Select(v => v.Item1).OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase).Select(p => $"{p.Id}@{p.Version}"));
    }

    /// <summary>
    /// The catalog laid out in `dir`: empty where there is no layout, since a host built without
    /// scripts/setup.sh still compiles everything else. Each file's reference is made once, here, and
    /// shared by every compilation that asks for it, like the framework's.
    /// </summary>
    public static PackageCatalog Load(string dir)
    {
        var byId = new Dictionary<string, (ManifestPackage, ImmutableArray<MetadataReference>)>(StringComparer.OrdinalIgnoreCase);
        var manifest = PackageManifest.Read(dir);
        if (manifest is null) return new PackageCatalog(byId);
        var files = new Dictionary<string, MetadataReference>(StringComparer.Ordinal);
        foreach (var package in manifest.Packages)
        {
            var references = package.Compile.Select(relative =>
            {
                var path = PackageManifest.Resolve(dir, relative)
                    ?? throw new InvalidDataException($"the package manifest names {relative}, outside {dir}");
                if (!files.TryGetValue(path, out var reference))
                    files[path] = reference = MetadataReference.CreateFromFile(path);
                return reference;
            });
            byId[package.Id] = (package, references.ToImmutableArray());
        }
        return new PackageCatalog(byId);
    }

    /// <summary>The references the directives ask for (each file once), and an error for each one refused.</summary>
    public (ImmutableArray<MetadataReference> References, DiagnosticDto[] Diagnostics) Resolve(IReadOnlyList<PackageDirective> directives)
    {
        var references = new List<MetadataReference>();
        var diagnostics = new List<DiagnosticDto>();
        foreach (var directive in directives)
        {
            // No version (or `*`) means the one on the list, as there is only ever one.
            if (_byId.TryGetValue(directive.Name, out var entry)
                && (directive.Version is null or "*" || string.Equals(directive.Version, entry.Package.Version, StringComparison.OrdinalIgnoreCase)))
            {
                references.AddRange(entry.References);
                continue;
            }
            var asked = directive.Version is null ? directive.Name : $"{directive.Name}@{directive.Version}";
            diagnostics.Add(Directives.Error(UnavailableId,
                $"package '{asked}' is not available; the packages available are: {Available}",
                directive.Line, directive.Column, directive.Length));
        }
        return (references.Distinct().ToImmutableArray(), diagnostics.ToArray());
    }
}
