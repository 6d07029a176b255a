// Attack: take over the sandbox's pid 1 (its init, which runs as the same uid inside the sandbox and
// outlives the program): write code into it through /proc/1/mem, or steal its descriptors.
// How: open /proc/1/mem for writing (ptrace access mode allows it for the same uid: no ptrace call
// needed), and try the same on /proc/self/mem; open every /proc/1/fd entry.
// Contained when: /proc is mounted read-only, so opening any proc file for writing fails with EROFS, and
// pid 1 holds only the sandbox's own pipes (nothing the service inherited).
// expect-status: ok
// expect-stdout: CONTAINED
var escaped = false;
foreach (var path in new[] { "/proc/1/mem", "/proc/self/mem", "/proc/1/attr/current", "/proc/self/oom_score_adj", "/proc/sys/kernel/core_pattern" })
{
    try { using var f = new FileStream(path, FileMode.Open, FileAccess.Write); escaped = true; Console.WriteLine($"ESCAPED: {path} is writable"); }
    catch (Exception e) { Console.WriteLine($"{path}: {e.GetType().Name}"); }
}
foreach (var fd in Directory.GetFiles("/proc/1/fd"))
{
    var target = new FileInfo(fd).LinkTarget ?? "?";
    if (!(target.StartsWith("socket:") || target.StartsWith("pipe:") || target == "/dev/null")) { escaped = true; Console.WriteLine($"ESCAPED: pid 1 holds {fd} -> {target}"); }
}
Console.WriteLine(escaped ? "ESCAPED" : "CONTAINED");
