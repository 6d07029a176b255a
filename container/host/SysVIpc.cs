using System.Diagnostics;

namespace Sharpbox.Host;

// A run's System V shared memory segments, message queues and semaphore sets outlive its processes (they
// belong to the container's IPC namespace), so one run could hand data to the next through them. After
// each run the worker removes every object the run's uid created or owns: the creator (cuid) counts as
// well, since the owner of an object may give it to another uid (IPC_SET).
//
// IPC_RMID is allowed to an object's owner or creator, or with CAP_SYS_ADMIN, which a container's root
// does not have (Docker's default set lacks it). So the removal runs as the run's own uid: ipcrm under
// setpriv, once every process of the run is gone.
internal static class SysVIpc
{
    /// <summary>/proc/sysvipc's file and ipcrm's option for each kind.</summary>
    private static readonly (string Kind, string Option)[] Kinds = [("shm", "-m"), ("msg", "-q"), ("sem", "-s")];

    private static readonly TimeSpan RemoveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>False if an object of `uid` is still listed afterwards.</summary>
    public static bool RemoveOwnedBy(int uid)
    {
        var objects = Kinds.SelectMany(k => IdsOf(k.Kind, uid).SelectMany(id => new[] { k.Option, id.ToString() })).ToList();
        if (objects.Count == 0) return true;
        var start = new ProcessStartInfo("setpriv") { UseShellExecute = false };
        string[] asRun = [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--", "ipcrm"];
        foreach (var a in asRun.Concat(objects)) start.ArgumentList.Add(a);
        using (var ipcrm = Process.Start(start) ?? throw new InvalidOperationException("could not start ipcrm"))
        {
            if (!ipcrm.WaitForExit(RemoveTimeout))
            {
                ipcrm.Kill();
                ipcrm.WaitForExit(RemoveTimeout);
                return false;
            }
        }
        return Kinds.All(k => IdsOf(k.Kind, uid).Count == 0);
    }

    /// <summary>
    /// The ids in /proc/sysvipc/KIND whose uid or cuid is `uid`. The columns are found by the header's
    /// names (their order differs per kind); the id is always the second column.
    /// </summary>
    private static List<int> IdsOf(string kind, int uid)
    {
        var path = $"/proc/sysvipc/{kind}";
        // A kernel without System V IPC has none to leave behind.
        if (!File.Exists(path)) return [];
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) return [];
        var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var owner = Array.IndexOf(header, "uid");
        var creator = Array.IndexOf(header, "cuid");
        if (owner < 0 || creator < 0) throw new InvalidDataException($"{path} has no uid or cuid column");
        var ids = new List<int>();
        foreach (var line in lines.Skip(1))
        {
            var row = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (row.Length <= Math.Max(owner, creator)) continue;
            if (row[owner] == uid.ToString() || row[creator] == uid.ToString()) ids.Add(int.Parse(row[1]));
        }
        return ids;
    }
}
