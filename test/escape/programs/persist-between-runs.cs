// Attack: leave something behind for the next run (a planted file, a poisoned cache) in any writable place.
// How: the test runs this twice; each run looks for marker files from an earlier run, then writes them.
// Contained when: both runs find nothing: every sandbox gets a fresh tmpfs and nothing else is writable.
// runs: 2
// expect-status: ok
// expect-stdout: CONTAINED
var places = new[] { "/tmp/.marker", "/dev/shm/.marker", "/var/tmp/.marker", "/run/lock/.marker", Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".marker") };
var found = places.Where(File.Exists).ToList();
foreach (var p in places) { try { Directory.CreateDirectory(Path.GetDirectoryName(p)!); File.WriteAllText(p, "x"); } catch (Exception) { } }
Console.WriteLine(found.Count == 0 ? "CONTAINED" : $"ESCAPED: found {string.Join(",", found)}");
