// Attack: exhaust host memory with managed allocations.
// How: keep 1 MiB arrays alive in a list, touching each.
// Contained when: the GC's hard limit ends it with OutOfMemoryException; status memory_limit.
// expect-status: memory_limit
var keep = new List<byte[]>();
while (true) { var b = new byte[1 << 20]; b[^1] = 1; keep.Add(b); }
