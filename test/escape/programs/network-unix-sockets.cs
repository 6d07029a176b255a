// Attack: talk to host daemons over Unix sockets (Docker's socket is root on the host; systemd, D-Bus, X11).
// How: try to connect to well-known socket paths, and look for any socket file under /run, /var/run, /tmp.
// Contained when: none of those paths exist inside the sandbox.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Net.Sockets;
var escaped = false;
foreach (var path in new[] { "/var/run/docker.sock", "/run/docker.sock", "/run/systemd/private", "/run/dbus/system_bus_socket", "/tmp/.X11-unix/X0", "/run/containerd/containerd.sock" })
{
    try
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(path));
        escaped = true;
        Console.WriteLine($"ESCAPED: connected to {path}");
    }
    catch (SocketException) { }
}
foreach (var dir in new[] { "/run", "/var/run", "/var" })
    if (Directory.Exists(dir)) { escaped = true; Console.WriteLine($"ESCAPED: {dir} is visible"); }
if (!escaped) Console.WriteLine("CONTAINED");
