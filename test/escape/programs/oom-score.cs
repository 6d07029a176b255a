// Attack: make the host's OOM killer spare us (and pick a host process instead) by lowering our own
// oom_score_adj to -1000, then allocate.
// How: write -1000 to /proc/self/oom_score_adj.
// Contained when: the write fails (lowering it needs CAP_SYS_RESOURCE, which the sandbox does not have).
// expect-status: ok
// expect-stdout: CONTAINED
try
{
    File.WriteAllText("/proc/self/oom_score_adj", "-1000");
    var now = File.ReadAllText("/proc/self/oom_score_adj").Trim();
    Console.WriteLine(now == "-1000" ? "ESCAPED: oom_score_adj is -1000" : $"CONTAINED (it reads {now})");
}
catch (Exception e) { Console.WriteLine($"write refused: {e.GetType().Name}"); Console.WriteLine("CONTAINED"); }
