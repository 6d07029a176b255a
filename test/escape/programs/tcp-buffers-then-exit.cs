// Attack: fill the sandbox's socket buffers to their cap, then exit cleanly at once, before the runner's
// watch (a poll every 100 ms) sees the cap, so the run passes for `ok` and whoever reads the verdict
// learns nothing of the host-wide TCP pool it leaned on. (CI saw the same race by accident: tcp-buffers.cs
// died of ENFILE from socket() at the cap within 189 ms and was judged a runtime error.)
// How: loopback connections with unread send queues, as tcp-buffers.cs; once the kernel takes nothing
// more on a fresh connection, or refuses socket() or connect() (its buffers are at the cap), the program
// ends with exit code 0, immediately.
// Contained when: the verdict comes from the cgroup's own counter of socket memory, read once more when
// the program has ended: memory_limit, whatever the timing.
// expect-status: memory_limit
using System.Net;
using System.Net.Sockets;
var listener = new TcpListener(IPAddress.Loopback, 0);
listener.Start(1000);
var port = ((IPEndPoint)listener.LocalEndpoint).Port;
var keep = new List<Socket>();
var chunk = new byte[1 << 16];
for (var i = 0; i < 2000; i++)
{
    Socket client, server;
    try
    {
        client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = 4 << 20 };
        client.Connect(IPAddress.Loopback, port);
        server = listener.AcceptSocket();
        server.ReceiveBufferSize = 4 << 20;
    }
    catch (SocketException)
    {
        Environment.Exit(0);
        return;
    }
    keep.Add(client);
    keep.Add(server);
    client.Blocking = false;
    long taken = 0;
    try { while (true) taken += client.Send(chunk); } catch (SocketException) { }
    if (taken == 0) Environment.Exit(0);
}
Console.WriteLine("the cap was never reached");
