// Attack: plant or alter files outside the sandbox's scratch space: the runtime, the runner host, /etc, the
// root of the view, /dev, so the next run (or the host) picks them up.
// How: File.WriteAllText to each place; then check that /tmp itself is writable, as it must be.
// Contained when: every write outside /tmp fails (read-only binds, read-only root) and /tmp works.
// expect-status: ok
// expect-stdout: CONTAINED
var escaped = false;
foreach (var path in new[] { "/evil", "/etc/passwd", "/etc/evil", "/usr/share/dotnet/evil", "/usr/share/dotnet/shared/Microsoft.NETCore.App/evil.dll", "/sandbox/host/sharpbox-host.dll", "/sandbox/host/evil", "/usr/lib/evil.so", "/dev/evil", "/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger" })
{
    try { File.WriteAllText(path, "x"); escaped = true; Console.WriteLine($"ESCAPED: wrote {path}"); }
    catch (Exception e) { Console.WriteLine($"{path}: {e.GetType().Name}"); }
}
File.WriteAllText("/tmp/scratch.txt", "fine");
Console.WriteLine(File.ReadAllText("/tmp/scratch.txt") == "fine" && !escaped ? "CONTAINED" : "ESCAPED");
