using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sharpbox.Host;

// The processes this container can see, from /proc/PID/status: how many tasks a user has (RLIMIT_NPROC
// counts them), and ending every process of a user, which is how a worker ends a run: each run has a uid
// of its own (RunIdentity.cs), so "every process of that uid" is exactly the run, wherever it forked to.
internal static class ProcTable
{
    /// <summary>The fields of one /proc/PID/status that matter here.</summary>
    private readonly record struct Status(int[] Uids, int Threads, char State, int ParentPid);

    /// <summary>Tasks (threads) of processes whose real uid is `uid`, as RLIMIT_NPROC counts them.</summary>
    public static int TasksOf(int uid)
    {
        var count = 0;
        foreach (var (_, status) in Processes())
            if (status.Uids[0] == uid) count += status.Threads;
        return count;
    }

    public static int RealUidOfSelf() => ReadStatus("/proc/self/status")?.Uids[0] ?? throw new InvalidOperationException("/proc/self/status has no Uid line");

    /// <summary>
    /// SIGKILLs every process with `uid` as any of its uids until /proc shows none, within `timeout`.
    /// Zombies left to this process (it is the container's init or a subreaper) are reaped on the way,
    /// except `ownChild`, the one a .NET Process object started: it reaps that one itself, and fails fast
    /// if someone else did. False if some remain: the caller must not trust the uid's files to stay put.
    /// </summary>
    public static bool KillAll(int uid, TimeSpan timeout, int? ownChild)
    {
        var self = Environment.ProcessId;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var left = 0;
            foreach (var (pid, status) in Processes())
            {
                if (!status.Uids.Contains(uid)) continue;
                if (status.State == 'Z' && pid == ownChild) continue;
                left++;
                if (status.State == 'Z')
                {
                    // Only its parent can make a zombie go; an orphan's parent is this process.
                    if (status.ParentPid == self) Libc.waitpid(pid, out _, Libc.WNOHANG);
                }
                else
                {
                    Libc.kill(pid, Libc.SIGKILL);
                }
            }
            if (left == 0) return true;
            if (clock.Elapsed > timeout) return false;
            Thread.Sleep(10);
        }
    }

    private static IEnumerable<(int Pid, Status Status)> Processes()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            if (ReadStatus(Path.Combine(dir, "status")) is { } status) yield return (pid, status);
        }
    }

    private static Status? ReadStatus(string path)
    {
        try
        {
            int[] uids = [];
            int threads = 0, parent = 0;
            var state = '?';
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal)) uids = [.. line[4..].Split('\t', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
                else if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = int.Parse(line.AsSpan(8).Trim());
                else if (line.StartsWith("State:", StringComparison.Ordinal)) state = line.AsSpan(6).Trim()[0];
                else if (line.StartsWith("PPid:", StringComparison.Ordinal)) parent = int.Parse(line.AsSpan(5).Trim());
            }
            return uids.Length == 0 ? null : new Status(uids, threads, state, parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the process ended meanwhile, or it is hidden from us (then it is not ours)
            return null;
        }
    }

    /// <summary>Orphans of a run come to this process (not only when it is the container's pid 1), so KillAll can reap them.</summary>
    public static void BecomeSubreaper()
    {
        if (Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
            throw new InvalidOperationException($"prctl(PR_SET_CHILD_SUBREAPER) failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
