// File IO in /tmp: streams, FileShare.None, enumeration, watchers, links, modes, memory-mapped files.
using System.IO.MemoryMappedFiles;
Directory.CreateDirectory("/tmp/probe/sub");
File.WriteAllText("/tmp/probe/a.txt", "hello");
Console.WriteLine(File.ReadAllText("/tmp/probe/a.txt"));
using (var fs = new FileStream("/tmp/probe/locked.bin", FileMode.Create, FileAccess.ReadWrite, FileShare.None))
{
    fs.Write(new byte[4096]); fs.Flush(true); fs.SetLength(100); fs.Position = 0; fs.ReadByte();
    try { using var again = new FileStream("/tmp/probe/locked.bin", FileMode.Open, FileAccess.Read, FileShare.Read); Console.WriteLine("second open allowed"); }
    catch (IOException e) { Console.WriteLine($"second open refused: {e.Message}"); }
    try { fs.Lock(0, 10); fs.Unlock(0, 10); Console.WriteLine("range lock ok"); } catch (Exception e) { Console.WriteLine($"range lock: {e.GetType().Name}"); }
}
using (var fa = new FileStream("/tmp/probe/async.bin", FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.Asynchronous | FileOptions.WriteThrough)) { await fa.WriteAsync(new byte[10000]); fa.Position = 0; await fa.ReadAsync(new byte[100]); }
using (var sw = new StreamWriter("/tmp/probe/lines.txt")) for (var i = 0; i < 100; i++) sw.WriteLine(i);
Console.WriteLine(File.ReadLines("/tmp/probe/lines.txt").Count());
await File.WriteAllBytesAsync("/tmp/probe/b.bin", new byte[70000]);
File.Copy("/tmp/probe/b.bin", "/tmp/probe/c.bin", true);
File.Move("/tmp/probe/c.bin", "/tmp/probe/sub/d.bin", true);
File.AppendAllText("/tmp/probe/a.txt", "!");
File.SetLastWriteTimeUtc("/tmp/probe/a.txt", DateTime.UtcNow.AddDays(-1));
Console.WriteLine(File.GetLastWriteTimeUtc("/tmp/probe/a.txt").Year);
File.SetUnixFileMode("/tmp/probe/a.txt", UnixFileMode.UserRead | UnixFileMode.UserWrite);
Console.WriteLine(File.GetUnixFileMode("/tmp/probe/a.txt"));
File.SetAttributes("/tmp/probe/a.txt", FileAttributes.ReadOnly); File.SetAttributes("/tmp/probe/a.txt", FileAttributes.Normal);
try { File.CreateSymbolicLink("/tmp/probe/link", "/tmp/probe/a.txt"); Console.WriteLine(new FileInfo("/tmp/probe/link").LinkTarget); } catch (Exception e) { Console.WriteLine($"symlink: {e.GetType().Name}"); }
try { Console.WriteLine(File.ResolveLinkTarget("/tmp/probe/link", true)?.FullName); } catch (Exception e) { Console.WriteLine(e.GetType().Name); }
foreach (var f in Directory.EnumerateFileSystemEntries("/tmp/probe", "*", SearchOption.AllDirectories)) Console.WriteLine(f);
Console.WriteLine(new DirectoryInfo("/tmp").GetFiles().Length);
Console.WriteLine(Directory.GetFiles("/usr/share/dotnet/shared/Microsoft.NETCore.App").Length > 0);
Console.WriteLine(new FileInfo("/usr/share/dotnet/dotnet").Length > 0);
var tmp = Path.GetTempFileName(); Console.WriteLine(tmp.StartsWith("/tmp"));
Console.WriteLine(Path.GetFullPath("x") + " " + Directory.GetCurrentDirectory());
Directory.SetCurrentDirectory("/tmp/probe"); Directory.SetCurrentDirectory("/tmp");
try
{
    using var w = new FileSystemWatcher("/tmp/probe") { EnableRaisingEvents = true };
    w.Created += (_, e) => Console.WriteLine($"watch: {e.Name}");
    File.WriteAllText("/tmp/probe/new.txt", "x");
    Thread.Sleep(100);
    Console.WriteLine("watcher started");
}
catch (Exception e) { Console.WriteLine($"watcher: {e.GetType().Name}: {e.Message}"); }
using (var mmf = MemoryMappedFile.CreateFromFile("/tmp/probe/b.bin", FileMode.Open))
using (var view = mmf.CreateViewAccessor()) { view.Write(0, 42); Console.WriteLine(view.ReadInt32(0)); }
try { using var anon = MemoryMappedFile.CreateNew(null, 1 << 20); using var v = anon.CreateViewStream(); v.WriteByte(1); Console.WriteLine("anonymous map ok"); } catch (Exception e) { Console.WriteLine($"anonymous map: {e.GetType().Name}: {e.Message}"); }
try { using var named = MemoryMappedFile.CreateNew("probe-map", 4096); Console.WriteLine("named map ok"); } catch (Exception e) { Console.WriteLine($"named map: {e.GetType().Name}"); }
foreach (var d in DriveInfo.GetDrives()) { try { Console.WriteLine($"{d.Name} {d.DriveType} {d.TotalSize > 0}"); } catch (Exception e) { Console.WriteLine($"{d.Name}: {e.GetType().Name}"); } }
Console.WriteLine(string.Join(",", Environment.GetLogicalDrives()));
try { File.WriteAllText("/usr/x", "x"); } catch (Exception e) { Console.WriteLine($"ro: {e.GetType().Name}"); }
try { File.ReadAllText("/nope"); } catch (Exception e) { Console.WriteLine(e.GetType().Name); }
Directory.Delete("/tmp/probe", true);
using var gz = new System.IO.Compression.GZipStream(new MemoryStream(), System.IO.Compression.CompressionLevel.Optimal); gz.Write(new byte[1000]);
using var br = new System.IO.Compression.BrotliStream(new MemoryStream(), System.IO.Compression.CompressionLevel.Fastest); br.Write(new byte[1000]);
using (var zip = new System.IO.Compression.ZipArchive(new MemoryStream(), System.IO.Compression.ZipArchiveMode.Create)) zip.CreateEntry("x").Open().WriteByte(1);
Console.WriteLine("files done");
