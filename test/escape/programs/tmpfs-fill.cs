// Attack: fill the disk (piston's fallocate exploit filled the host disk and blocked every other job).
// How: write 1 GiB to a file in /tmp, in 1 MiB blocks.
// Contained when: the write stops at the tmpfs size cap (ENOSPC) or the file-size rlimit (EFBIG), long
// before 1 GiB, and nothing reaches the host's disk.
// expect-status: ok
// expect-stdout: CONTAINED
var block = new byte[1 << 20];
long written = 0;
try
{
    using var f = File.OpenWrite("/tmp/fill.bin");
    for (int i = 0; i < 1024; i++) { f.Write(block); written += block.Length; }
    f.Flush();
    Console.WriteLine($"ESCAPED: wrote {written >> 20} MiB");
}
catch (IOException e) { Console.WriteLine($"stopped after {written >> 20} MiB: {e.Message}"); Console.WriteLine(written <= 64L << 20 ? "CONTAINED" : "ESCAPED: over the cap"); }
