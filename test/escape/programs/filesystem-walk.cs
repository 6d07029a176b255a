// Attack: map everything the sandbox can see, looking for anything of the host: the project tree, secrets,
// the SDK, other users' files.
// How: a recursive walk from / (skipping /proc and /sys), printing every directory and file name.
// Contained when: the only top-level entries are the runtime's read-only binds, /tmp, /proc and /dev.
// expect-status: ok
// expect-stdout: CONTAINED
var top = Directory.GetFileSystemEntries("/").Select(p => p.TrimStart('/')).Order().ToList();
Console.WriteLine("top: " + string.Join(" ", top));
var allowed = new HashSet<string> { "dev", "etc", "lib", "lib64", "proc", "sandbox", "tmp", "usr" };
var extra = top.Where(t => !allowed.Contains(t)).ToList();
var etc = Directory.GetFileSystemEntries("/etc").Select(Path.GetFileName).Order().ToList();
Console.WriteLine("etc: " + string.Join(" ", etc));
var usrShare = Directory.GetFileSystemEntries("/usr/share").Select(Path.GetFileName).Order().ToList();
Console.WriteLine("usr/share: " + string.Join(" ", usrShare));
var dotnet = Directory.GetFileSystemEntries("/usr/share/dotnet").Select(Path.GetFileName).Order().ToList();
Console.WriteLine("dotnet: " + string.Join(" ", dotnet));
var ok = extra.Count == 0 && etc.SequenceEqual(new[] { "group", "passwd" }) && !dotnet.Contains("sdk") && !Directory.Exists("/usr/bin") && !Directory.Exists("/home") && !Directory.Exists("/root");
Console.WriteLine(ok ? "CONTAINED" : $"ESCAPED: unexpected view ({string.Join(",", extra)})");
