// Less common file APIs: move without overwrite, preallocation, access hints, scatter/gather IO, times.
using Microsoft.Win32.SafeHandles;
File.WriteAllText("/tmp/m1", "x");
File.Move("/tmp/m1", "/tmp/m2");
try { File.WriteAllText("/tmp/m3", "y"); File.Move("/tmp/m3", "/tmp/m2"); } catch (IOException e) { Console.WriteLine($"move onto existing: {e.GetType().Name}"); }
Directory.CreateDirectory("/tmp/d1"); Directory.Move("/tmp/d1", "/tmp/d2");
using (var fs = new FileStream("/tmp/pre", new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, PreallocationSize = 1 << 20 })) fs.WriteByte(1);
Console.WriteLine(new FileInfo("/tmp/pre").Length);
using (var fs = new FileStream("/tmp/m2", FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan)) fs.ReadByte();
using (var fs = new FileStream("/tmp/m2", FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.RandomAccess)) fs.ReadByte();
using (SafeFileHandle h = File.OpenHandle("/tmp/rw", FileMode.Create, FileAccess.ReadWrite))
{
    RandomAccess.Write(h, new ReadOnlyMemory<byte>[] { new byte[10], new byte[20] }, 0);
    Console.WriteLine(RandomAccess.Read(h, new Memory<byte>[] { new byte[5], new byte[5] }, 0));
    Console.WriteLine(RandomAccess.GetLength(h));
    RandomAccess.SetLength(h, 100);
    RandomAccess.FlushToDisk(h);
}
Console.WriteLine(File.GetCreationTimeUtc("/tmp/m2").Year + " " + File.GetLastAccessTime("/tmp/m2").Year);
File.SetCreationTimeUtc("/tmp/m2", DateTime.UtcNow); File.SetLastAccessTimeUtc("/tmp/m2", DateTime.UtcNow);
File.Copy("/tmp/pre", "/tmp/pre2");
File.Replace("/tmp/pre2", "/tmp/m2", "/tmp/m2.bak");
Console.WriteLine(File.Exists("/tmp/m2.bak") + " " + Directory.Exists("/tmp/d2") + " " + Path.Exists("/tmp"));

try { File.Encrypt("/tmp/m2"); } catch (Exception e) { Console.WriteLine($"encrypt: {e.GetType().Name}"); }
var w = new FileInfo("/tmp/m2"); w.IsReadOnly = true; w.IsReadOnly = false; w.Refresh(); Console.WriteLine(w.Attributes);
Console.WriteLine(new DirectoryInfo("/tmp").EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Count());
unsafe
{
    var p = System.Runtime.InteropServices.NativeMemory.Alloc(1 << 22);
    p = System.Runtime.InteropServices.NativeMemory.Realloc(p, 1 << 24);
    System.Runtime.InteropServices.NativeMemory.Free(p);
    var a = System.Runtime.InteropServices.NativeMemory.AlignedAlloc(1 << 20, 4096); System.Runtime.InteropServices.NativeMemory.AlignedFree(a);
}
var hg = System.Runtime.InteropServices.Marshal.AllocHGlobal(1 << 22); hg = System.Runtime.InteropServices.Marshal.ReAllocHGlobal(hg, 1 << 24); System.Runtime.InteropServices.Marshal.FreeHGlobal(hg);
Console.WriteLine(Thread.GetCurrentProcessorId() >= 0);
Console.WriteLine(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture);
using var sr = new StreamReader("/proc/self/status"); Console.WriteLine(sr.ReadLine());
Console.WriteLine(File.ReadAllText("/proc/meminfo").Length > 0 && File.ReadAllText("/proc/cpuinfo").Length > 0);
try { Console.WriteLine(File.ReadAllText("/sys/fs/cgroup/memory.max").Length); } catch (Exception e) { Console.WriteLine($"cgroup: {e.GetType().Name}"); }
