// Attack: learn where the service lives on the host (its checkout, its user's home) from the sandbox's
// mount table, as a first step to target it.
// How: read /proc/self/mountinfo, whose fourth field is each bind's path on the host, and look for the
// project's own directory (the test passes it on stdin) and for home directories.
// Contained when: no mount names the project tree or a home: what the sandbox binds from the service is
// staged under the service's state directory first.
// stdin: {{PROJECT_ROOT}}
// expect-status: ok
// expect-stdout: CONTAINED
var project = Console.ReadLine()!;
var mounts = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[3]).ToList();
foreach (var m in mounts) Console.WriteLine(m);
var leaks = mounts.Where(m => m.StartsWith(project) || m.StartsWith("/home") || m.StartsWith("/root")).ToList();
Console.WriteLine(leaks.Count == 0 ? "CONTAINED" : $"ESCAPED: {string.Join(", ", leaks)}");
