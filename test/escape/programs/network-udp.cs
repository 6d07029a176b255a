// Attack: send UDP datagrams out (fire-and-forget exfiltration needs no handshake to "succeed").
// How: UdpClient.Send to a public DNS server; on a real network the send itself succeeds.
// Contained when: the send fails with "Network is unreachable" (no route out of the namespace).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Net.Sockets;
try
{
    using var u = new UdpClient();
    u.Send(new byte[] { 1, 2, 3 }, 3, "8.8.8.8", 53);
    Console.WriteLine("ESCAPED: datagram sent");
}
catch (SocketException e) { Console.WriteLine($"send failed: {e.SocketErrorCode}"); Console.WriteLine("CONTAINED"); }
