// Attack: exhaust host memory outside the GC's view, where DOTNET_GCHeapHardLimit cannot see it.
// How: NativeMemory.Alloc 1 MiB blocks and touch every page so they become resident.
// Contained when: the sandbox's memory cgroup (or RLIMIT_DATA) stops it; status memory_limit.
// expect-status: memory_limit
using System.Runtime.InteropServices;
unsafe
{
    while (true)
    {
        byte* p = (byte*)NativeMemory.Alloc(1 << 20);
        if (p == null) throw new OutOfMemoryException();
        for (int i = 0; i < 1 << 20; i += 4096) p[i] = 1;
    }
}
