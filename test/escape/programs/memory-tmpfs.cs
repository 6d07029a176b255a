// Attack: use the tmpfs as memory the limits do not count (tmpfs pages live in RAM, not in the process).
// How: write 48 MiB files to /tmp until something stops us, while also holding managed memory.
// Contained when: the tmpfs cap stops the writes (and its pages count against the sandbox's memory cgroup).
// expect-status: ok, memory_limit
// expect-stdout: CONTAINED
long total = 0;
try
{
    for (int i = 0; i < 100; i++) { File.WriteAllBytes($"/tmp/f{i}", new byte[16 << 20]); total += 16 << 20; }
    Console.WriteLine($"ESCAPED: {total >> 20} MiB in tmpfs");
}
catch (IOException e) { Console.WriteLine($"stopped at {total >> 20} MiB: {e.Message}"); Console.WriteLine(total <= 64L << 20 ? "CONTAINED" : "ESCAPED"); }
