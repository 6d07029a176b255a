// Attack: reach services the host runs on 127.0.0.1 (Redis, the admin API, a database) from the sandbox.
// How: the test starts a TCP server on the host's 127.0.0.1 and passes its port on stdin; we connect to it.
// Contained when: the connect fails: the sandbox's 127.0.0.1 is its own, empty loopback.
// stdin: {{HOST_PORT}}
// expect-status: ok
// expect-stdout: CONTAINED
using System.Net.Sockets;
var port = int.Parse(Console.ReadLine()!);
try
{
    using var c = new TcpClient();
    c.Connect("127.0.0.1", port);
    var buf = new byte[256];
    var n = c.GetStream().Read(buf);
    Console.WriteLine($"ESCAPED: host service said {System.Text.Encoding.UTF8.GetString(buf, 0, n)}");
}
catch (SocketException e) { Console.WriteLine($"127.0.0.1:{port}: {e.SocketErrorCode}"); Console.WriteLine("CONTAINED"); }
