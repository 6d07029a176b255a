namespace Sharpbox.Host;

// Where a run can leave files behind for the next one: every directory any user may create entries in
// (o+w and o+x), found once when the worker starts, by scanning rather than from a list (an image or a
// runtime may add one: /tmp, /var/tmp, /dev/shm, /dev/mqueue, /run/lock, ...). A later run's files can
// only be created in one of these, below one of them in a directory it owns, or in its own scratch
// directory, which lives in /tmp; Scrub.cs removes them after each run.
//
// The scan visits each mount that is writable at all (a read-only one cannot gain files), stays on that
// mount (-xdev: a mount below is visited as itself, if writable), skips /proc and /sys, and does not
// descend where others may not search (a run could not reach anything below).
internal static class WritableDirs
{
    public sealed record Found(IReadOnlyList<string> Dirs, IReadOnlyList<string> WorldWritableFiles);

    public static Found Find()
    {
        var dirs = new List<string>();
        var files = new List<string>();
        foreach (var mount in MountPoints())
        {
            if (!Libc.WritableMount(mount) || Libc.Lstat(mount) is not { IsDirectory: true } root) continue;
            var pending = new Stack<string>([mount]);
            while (pending.TryPop(out var dir))
            {
                if (Libc.Lstat(dir) is not { } facts) continue;
                if (facts.WorldWritable) dirs.Add(dir);
                if (!facts.WorldSearchable) continue;
                foreach (var entry in Entries(dir))
                {
                    if (Libc.Lstat(entry) is not { } e || e.Device != root.Device) continue;
                    if (e.IsDirectory) pending.Push(entry);
                    // Root's own files that any run may rewrite: nothing here can remove them between runs.
                    else if (e.IsRegular && (e.Mode & 0b010) != 0) files.Add(entry);
                }
            }
        }
        return new Found(dirs, files);
    }

    /// <summary>The names in a directory, dot files included; none when it cannot be read (or is gone).</summary>
    public static IEnumerable<string> Entries(string dir)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(dir, "*", AllEntries).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Every name (.NET hides dot files and skips unreadable ones unless told not to).</summary>
    public static readonly EnumerationOptions AllEntries = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        MatchType = MatchType.Simple,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>The mount points of this mount namespace, outside /proc and /sys, each once.</summary>
    private static IEnumerable<string> MountPoints() =>
        File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4)
            .Select(fields => Unescape(fields[4]))
            .Where(path => !Under(path, "/proc") && !Under(path, "/sys"))
            .Distinct(StringComparer.Ordinal)
            .ToList();

    private static bool Under(string path, string dir) => path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal);

    /// <summary>mountinfo writes space, tab, newline and backslash in a path as \ooo.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var chars = new System.Text.StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                chars.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else chars.Append(field[i]);
        }
        return chars.ToString();
    }

    private static bool IsOctal(string s, int at) => at + 3 <= s.Length && s.Skip(at).Take(3).All(c => c is >= '0' and <= '7');
}
