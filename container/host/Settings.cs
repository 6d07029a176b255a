namespace Sharpbox.Host;

// The settings the service sends (src/runner/backends/aci/containerEnv.ts): in the environment, or in a
// worker's job blob. Every one is required and none has a default here, since a default could drift from
// what users are told; a missing or malformed one ends the container with 78 (ContainerExit.cs). The
// run's compile options are the exception (Optional).
internal sealed class Settings(Func<string, string?> lookup, string? where)
{
    public static Settings FromEnvironment() => new(Environment.GetEnvironmentVariable, null);

    /// <summary>The fields of a worker's job blob; `where` names it in the log line of a bad one.</summary>
    public static Settings FromJob(IReadOnlyDictionary<string, string> fields, string where) =>
        new(name => fields.TryGetValue(name, out var v) ? v : null, where);

    public string Text(string name) => lookup(name) is { Length: > 0 } v ? v : throw Missing(name);

    public int Int(string name) => int.TryParse(Text(name), out var v) && v >= 0 ? v : throw Missing(name);

    public int PositiveInt(string name) => int.TryParse(Text(name), out var v) && v > 0 ? v : throw Missing(name);

    public long PositiveLong(string name) => long.TryParse(Text(name), out var v) && v > 0 ? v : throw Missing(name);

    public bool Bool(string name) => bool.TryParse(Text(name), out var v) ? v : throw Missing(name);

    /// <summary>
    /// One of the run's own choices (SHARPBOX_OPTIMIZE, SHARPBOX_LANG_VERSION), not a limit: absent means
    /// the compiler's default, and a value it does not accept is the user's compile error (CompileSettings.cs).
    /// </summary>
    public string? Optional(string name) => lookup(name) is { Length: > 0 } v ? v : null;

    /// <summary>An absolute http(s) URL (a SAS URL): anything else could only fail later, less clearly.</summary>
    public string Url(string name)
    {
        var text = Text(name);
        return Uri.TryCreate(text, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp) ? text : throw Missing(name);
    }

    private MissingSettingException Missing(string name) => new(name, where);
}

/// <summary>A setting the service always sends is missing or malformed (`Where` is null for the environment).</summary>
internal sealed class MissingSettingException(string name, string? where) : Exception($"{name} is missing or malformed")
{
    public string Name { get; } = name;
    public string? Where { get; } = where;
}
