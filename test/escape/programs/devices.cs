// Attack: reach hardware or kernel memory through device nodes (/dev/mem, /dev/kmsg, disks, /dev/kvm).
// How: list /dev and try to open the dangerous ones.
// Contained when: /dev holds only the harmless nodes bubblewrap creates (null, zero, full, random,
// urandom, tty, ptmx, pts, shm…), and none of the dangerous ones opens.
// expect-status: ok
// expect-stdout: CONTAINED
Console.WriteLine(string.Join(" ", Directory.GetFileSystemEntries("/dev").Select(Path.GetFileName).Order()));
var escaped = false;
foreach (var d in new[] { "/dev/mem", "/dev/kmem", "/dev/kmsg", "/dev/vda", "/dev/sda", "/dev/kvm", "/dev/fuse", "/dev/port" })
{
    try { using var f = File.Open(d, FileMode.Open, FileAccess.Read); escaped = true; Console.WriteLine($"ESCAPED: opened {d}"); }
    catch (Exception e) { Console.WriteLine($"{d}: {e.GetType().Name}"); }
}
if (!escaped) Console.WriteLine("CONTAINED");
