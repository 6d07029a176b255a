// Attack: use a file descriptor the service leaked into the sandbox (its Discord gateway socket, a Redis
// connection, a log file, the state directory) to talk to or read something outside, directly or
// through /proc/1/fd of the sandbox's init.
// How: walk /proc/self/fd and /proc/1/fd and look at what every descriptor points to.
// Contained when: pid 1 holds exactly the runner's five channels (stdin, stdout, stderr, program,
// notes: all sockets) and the program only those and the runtime's own files and pipes; nothing opened
// by the service itself. (test/integration/inherited-fds.test.ts starts the runner with leaked
// descriptors on purpose and checks the same.)
// expect-status: ok
// expect-stdout: CONTAINED
var allowed = new[] { "/usr/share/dotnet/", "/sandbox/", "/usr/lib/", "/dev/", "/tmp/", "/proc/", "pipe:", "anon_inode:" };
var escaped = false;
var init = Directory.GetFiles("/proc/1/fd").ToDictionary(f => int.Parse(Path.GetFileName(f)), f => new FileInfo(f).LinkTarget ?? "?");
var channels = init.Values.ToHashSet();
if (string.Join(",", init.Keys.Order()) != "0,1,2,3,4" || init.Values.Any(t => !t.StartsWith("socket:")))
{
    escaped = true;
    Console.WriteLine($"ESCAPED: pid 1 holds {string.Join(", ", init.Select(kv => $"{kv.Key} -> {kv.Value}"))}");
}
foreach (var fd in Directory.GetFiles("/proc/self/fd"))
{
    string target;
    try { target = new FileInfo(fd).LinkTarget ?? "?"; } catch { continue; }
    if (target.StartsWith("socket:") ? !channels.Contains(target) : !allowed.Any(a => target.StartsWith(a))) { escaped = true; Console.WriteLine($"ESCAPED: {fd} -> {target}"); }
}
Console.WriteLine(escaped ? "ESCAPED" : "CONTAINED");
