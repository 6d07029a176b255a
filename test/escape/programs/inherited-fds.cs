// Attack: use a file descriptor the service leaked into the sandbox (its Discord gateway socket, a Redis
// connection, a log file, the state directory) to talk to or read something outside.
// How: walk /proc/self/fd and look at what every descriptor points to.
// Contained when: there are only the runtime's own files and the pipes the runner made for this run
// (stdin, stdout, stderr, the notes channel): nothing opened by the service itself.
// expect-status: ok
// expect-stdout: CONTAINED
var allowed = new[] { "/usr/share/dotnet/", "/sandbox/", "/usr/lib/", "/dev/", "/tmp/", "/proc/", "pipe:", "anon_inode:", "/memfd:" };
var sockets = new HashSet<string>();
var escaped = false;
foreach (var fd in Directory.GetFiles("/proc/self/fd"))
{
    string target;
    try { target = new FileInfo(fd).LinkTarget ?? "?"; } catch { continue; }
    if (target.StartsWith("socket:")) { sockets.Add(target); continue; } // the runtime dups 0-2: count distinct sockets
    if (!allowed.Any(a => target.StartsWith(a))) { escaped = true; Console.WriteLine($"ESCAPED: {fd} -> {target}"); }
}
Console.WriteLine($"{sockets.Count} distinct sockets");
// fd 0, 1, 2 and 4 are the runner's socketpairs; anything beyond is not ours to have.
Console.WriteLine(!escaped && sockets.Count <= 4 ? "CONTAINED" : "ESCAPED: unexpected descriptors");
