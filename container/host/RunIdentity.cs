using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sharpbox.Host;

// Who run i of a worker is: uid = gid = 20000 + i, new for every run and never reused in the container,
// so the kernel itself keeps runs apart: RLIMIT_NPROC counts only this run's tasks, its files and IPC
// objects are told apart by owner (Scrub.cs, SysVIpc.cs), "every process of the uid" is exactly the run
// (ProcTable.KillAll), and the worker's /proc entries (its environment holds a SAS URL) are closed to it.
// Its scratch directory (HOME, TMPDIR, the program file and the notes) is /tmp/sharpbox-run-<i>, 0700.
internal sealed record RunIdentity(int Run)
{
    private const int FirstUid = 20000;

    /// <summary>The run's oom_score_adj: the container's memory limit takes the run, never the worker.</summary>
    private const int RunOomScoreAdj = 1000;

    public int Uid => FirstUid + Run;
    public string Scratch => $"/tmp/sharpbox-run-{Run}";
    public string ProgramPath => Path.Combine(Scratch, "program.bin");
    public string NotesPath => Path.Combine(Scratch, "notes");

    /// <summary>
    /// The wrappers in front of `sharpbox-host exec` (util-linux, in every Debian and Ubuntu image), outermost
    /// first: choom while still root; setpriv to the run's uid and gid with no groups, no capabilities in any
    /// set and no_new_privs (its saved uid is set too, so there is no way back); then prlimit as that uid.
    /// RLIMIT_NOFILE is the worker's own (entry.sh), inherited.
    /// </summary>
    public IReadOnlyList<string> Wrappers(int maxProcesses, long fileBytes) =>
    [
        "choom", "-n", RunOomScoreAdj.ToString(), "--",
        "setpriv", $"--reuid={Uid}", $"--regid={Uid}", "--clear-groups", "--no-new-privs",
        "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--",
        // RLIMIT_NPROC counts the tasks of the real uid, and this uid has no others: exactly the run's limit.
        "prlimit", $"--nproc={maxProcesses}", $"--fsize={fileBytes}", "--core=0", "--",
    ];

    /// <summary>The run's process: the wrappers, then the host's exec mode on the scratch directory's files.</summary>
    public ProcessStartInfo Start(int maxProcesses, long fileBytes, long memoryBytes)
    {
        var argv = Wrappers(maxProcesses, fileBytes).Concat(ProgramRun.ExecArgs(ProgramPath, NotesPath)).ToList();
        var start = new ProcessStartInfo(argv[0]) { WorkingDirectory = Scratch };
        foreach (var a in argv.Skip(1)) start.ArgumentList.Add(a);
        ProgramRun.SetEnvironment(start, memoryBytes);
        start.Environment["HOME"] = Scratch;
        start.Environment["TMPDIR"] = Scratch;
        return start;
    }

    /// <summary>
    /// Creates the scratch directory with the program in it, then hands both to the run's uid. mkdir fails
    /// on anything already there (a leftover would be a previous run's, which the scrub must have removed).
    /// </summary>
    public void CreateScratch(byte[] program)
    {
        if (Libc.mkdir(Scratch, 0b111_000_000) != 0)
            throw new IOException($"cannot create {Scratch}: errno {Marshal.GetLastPInvokeError()}");
        File.WriteAllBytes(ProgramPath, program);
        Chown(ProgramPath);
        Chown(Scratch);
    }

    /// <summary>
    /// The notes the run's host wrote, read only once every process of the run is gone: the run owned the
    /// directory and could have put a symlink or a hard link to a file of root's there (/proc/1/environ)
    /// for this root process to upload. So the directory and the file must both be the run's own, and the
    /// file a regular one with one name.
    /// </summary>
    public string ReadNotes()
    {
        if (Libc.Lstat(Scratch) is not { IsDirectory: true } dir || dir.Uid != Uid) return "";
        if (Libc.Lstat(NotesPath) is not { IsRegular: true, Nlink: 1 } notes || notes.Uid != Uid) return "";
        return File.ReadAllText(NotesPath);
    }

    private void Chown(string path)
    {
        if (Libc.lchown(path, (uint)Uid, (uint)Uid) != 0)
            throw new IOException($"cannot give {path} to uid {Uid}: errno {Marshal.GetLastPInvokeError()}");
    }
}
