// Attack: take the host's pseudo-terminals. Every non-initial devpts instance (bwrap's --dev mounts one
// per sandbox) draws from one host-wide pool of 3,072 (kernel.pty.max less the reserve): one run took
// 3,071 of them, and nobody else on the host could open a terminal.
// How: open /dev/ptmx (and /dev/pts/ptmx) until it fails, keeping every master open.
// Contained when: the sandbox has no /dev/ptmx and no devpts at all; a benign run beside it still works.
// concurrent-benign: true
// expect-status: ok
// expect-stdout: CONTAINED
var opened = new List<FileStream>();
foreach (var path in new[] { "/dev/ptmx", "/dev/pts/ptmx", "/dev/tty" })
{
    try { while (opened.Count < 4000) opened.Add(new FileStream(path, FileMode.Open, FileAccess.ReadWrite)); }
    catch (Exception e) { Console.WriteLine($"{path}: {e.GetType().Name}"); }
}
Console.WriteLine(Directory.Exists("/dev/pts") ? "ESCAPED: a devpts is mounted" : "no /dev/pts");
Console.WriteLine(opened.Count == 0 ? "CONTAINED" : $"ESCAPED: {opened.Count} terminals opened");
