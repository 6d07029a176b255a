// Attack: read another process's environment through /proc/<pid>/environ (the bot's token lives there).
// How: walk /proc and read every environ and cmdline we can open, printing them all.
// Contained when: /proc shows only the sandbox's own pid namespace, so the service is not there to read;
// the test asserts the canary secrets appear nowhere in the output.
// expect-status: ok
// expect-stdout: CONTAINED
var pids = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit)).ToList();
foreach (var pid in pids)
{
    foreach (var f in new[] { "environ", "cmdline" })
    {
        try { Console.WriteLine($"{pid}/{f}: {File.ReadAllText($"/proc/{pid}/{f}").Replace('\0', ' ')}"); }
        catch (Exception e) { Console.WriteLine($"{pid}/{f}: {e.GetType().Name}"); }
    }
}
Console.WriteLine($"{pids.Count} processes visible");
Console.WriteLine(pids.Count <= 3 ? "CONTAINED" : "ESCAPED: more processes than the sandbox's own");
