// Attack: exhaust kernel memory rather than user memory: a tmpfs size cap counts bytes, not files, and
// every empty file still costs the kernel an inode and a dentry.
// How: create empty files in /tmp as fast as possible, for as long as we are allowed to.
// Contained when: the kernel memory they pin is charged to the sandbox's memory cgroup (an OOM kill),
// or the wall clock ends it; either way the host is untouched and a benign run still completes.
// concurrent-benign: true
// timeout-ms: 3000
// expect-status: memory_limit, timeout
long n = 0;
try
{
    for (; n < 50_000_000; n++) File.Create($"/tmp/f{n}").Dispose();
    Console.WriteLine($"created {n} files");
}
catch (Exception e) { Console.WriteLine($"stopped at {n} files: {e.GetType().Name}"); }
