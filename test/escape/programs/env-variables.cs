// Attack: read the bot's secrets (DISCORD_TOKEN, Azure credentials) from the environment it inherited.
// How: dump every environment variable. The test puts canary secrets in the service's own environment and
// asserts none of them appears in any output.
// Contained when: the environment holds only the handful of variables the runtime needs.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Collections;
var names = new List<string>();
foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) { Console.WriteLine($"{e.Key}={e.Value}"); names.Add((string)e.Key); }
var unexpected = names.Where(n => !(n is "HOME" or "TMPDIR" or "PATH" or "LANG" or "PWD" || n.StartsWith("DOTNET_"))).ToList();
Console.WriteLine(unexpected.Count == 0 ? "CONTAINED" : $"ESCAPED: unexpected variables {string.Join(",", unexpected)}");
