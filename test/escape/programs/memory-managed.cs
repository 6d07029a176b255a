// Attack: exhaust host memory with managed allocations.
// How: keep 1 MiB arrays alive in a list, touching every page of each.
// Contained when: the sandbox's memory cgroup stops it at the cap (an OOM kill the host sees); status
// memory_limit. The GC is told the same size, so it collects garbage before that but cannot free these.
// expect-status: memory_limit
var keep = new List<byte[]>();
while (true) { var b = new byte[1 << 20]; for (var i = 0; i < b.Length; i += 4096) b[i] = 1; keep.Add(b); }
