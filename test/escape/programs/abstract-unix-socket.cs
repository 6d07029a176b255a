// Attack: reach host daemons over *abstract* Unix sockets (no file to hide: X11's @/tmp/.X11-unix/X0,
// D-Bus, systemd, containerd's shims), which a filesystem view alone does not stop.
// How: connect to well-known abstract names.
// Contained when: every connect fails: abstract sockets belong to a network namespace, and ours is new.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Net.Sockets;
var escaped = false;
foreach (var name in new[] { "\0/tmp/.X11-unix/X0", "\0/org/freedesktop/systemd1/notify", "\0/containerd-shim/moby.sock", "\0dbus-system" })
{
    try
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(name));
        escaped = true;
        Console.WriteLine($"ESCAPED: connected to @{name[1..]}");
    }
    catch (SocketException e) { Console.WriteLine($"@{name[1..]}: {e.SocketErrorCode}"); }
}
if (!escaped) Console.WriteLine("CONTAINED");
