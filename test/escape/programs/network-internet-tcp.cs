// Attack: open a TCP connection to a public address (exfiltrate data, download a payload, join a botnet).
// How: a plain TcpClient connect to 1.1.1.1:443 and 8.8.8.8:53 with a short timeout.
// Contained when: every connect fails, because the sandbox's network namespace has only its own loopback.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Net.Sockets;
var escaped = false;
foreach (var (host, port) in new[] { ("1.1.1.1", 443), ("8.8.8.8", 53) })
{
    try
    {
        using var c = new TcpClient();
        if (c.ConnectAsync(host, port).Wait(2000)) { escaped = true; Console.WriteLine($"ESCAPED: connected to {host}:{port}"); }
        else Console.WriteLine($"{host}:{port} timed out");
    }
    catch (Exception e) { Console.WriteLine($"{host}:{port} refused: {e.GetBaseException().Message}"); }
}
if (!escaped) Console.WriteLine("CONTAINED");
