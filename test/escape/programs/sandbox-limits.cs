// Attack: find a limit that was forgotten: count what the sandbox allows.
// How: read our own rlimits from /proc/self/limits and check them against the policy.
// Contained when: processes, open files, file size, CPU time and core dumps are all bounded.
// expect-status: ok
// expect-stdout: CONTAINED
var lines = File.ReadAllLines("/proc/self/limits");
foreach (var l in lines) Console.WriteLine(l);
string Soft(string name) => System.Text.RegularExpressions.Regex.Split(lines.First(l => l.StartsWith(name))[26..].Trim(), @"\s+")[0];
var bounded = new[] { "Max processes", "Max open files", "Max file size", "Max cpu time", "Max data size" }.All(n => Soft(n) != "unlimited") && Soft("Max core file size") == "0";
Console.WriteLine(bounded ? "CONTAINED" : "ESCAPED: an unbounded limit");
