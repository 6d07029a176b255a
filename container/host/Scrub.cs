namespace Sharpbox.Host;

// Removes every file and directory a finished run's uid owns in the world-writable directories the
// worker found at its start (WritableDirs.cs), and everything inside a directory it owns: what one run
// leaves in /tmp, /dev/shm or a POSIX message queue (/dev/mqueue) must not reach the next. Called only
// once every process of that uid is gone (ProcTable.KillAll), so nothing changes under the walk and
// no symlink it finds is followed: entries are looked at with lstat and removed by name.
internal static class Scrub
{
    /// <summary>False if anything of `uid` could not be removed (or the walk ran past `deadline`).</summary>
    public static bool RemoveOwnedBy(uint uid, IReadOnlyList<string> dirs, DateTime deadline)
    {
        var roots = new HashSet<string>(dirs, StringComparer.Ordinal);
        var ok = true;
        foreach (var top in dirs)
        {
            if (Libc.Lstat(top) is not { IsDirectory: true } root) continue;
            var pending = new Stack<string>([top]);
            while (pending.TryPop(out var dir))
            {
                if (DateTime.UtcNow > deadline) return false;
                foreach (var entry in WritableDirs.Entries(dir))
                {
                    if (Libc.Lstat(entry) is not { } e) continue;
                    if (e.Uid == uid) ok &= RemoveTree(entry, deadline);
                    // Root's own directories too: a world-writable one may have appeared after the scan.
                    else if (e.IsDirectory && e.Device == root.Device && !roots.Contains(entry)) pending.Push(entry);
                }
            }
        }
        return ok;
    }

    /// <summary>Removes `path` and, if it is a directory (not a link to one), everything in it.</summary>
    public static bool RemoveTree(string path, DateTime deadline)
    {
        var pending = new Stack<(string Path, bool Emptied)>([(path, false)]);
        try
        {
            while (pending.TryPop(out var item))
            {
                if (DateTime.UtcNow > deadline) return false;
                if (Libc.Lstat(item.Path) is not { } facts) continue;
                if (!facts.IsDirectory) File.Delete(item.Path);
                else if (item.Emptied) Directory.Delete(item.Path, recursive: false);
                else
                {
                    pending.Push((item.Path, true));
                    foreach (var entry in WritableDirs.Entries(item.Path)) pending.Push((entry, false));
                }
            }
            return Libc.Lstat(path) is null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
