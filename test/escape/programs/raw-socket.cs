// Attack: open a raw or packet socket (sniff traffic, forge packets, ping sweeps), which bypasses the
// ordinary TCP/UDP stack.
// How: Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp) and an AF_PACKET socket.
// Contained when: both are refused (they need CAP_NET_RAW, which the sandbox does not have) — and even
// if one opened, the namespace has only loopback.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Net.Sockets;
var escaped = false;
try { using var s = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp); escaped = true; Console.WriteLine("ESCAPED: raw ICMP socket"); }
catch (SocketException e) { Console.WriteLine($"raw: {e.SocketErrorCode}"); }
try { using var s = new Socket(AddressFamily.Packet, SocketType.Raw, ProtocolType.Raw); escaped = true; Console.WriteLine("ESCAPED: packet socket"); }
catch (Exception e) { Console.WriteLine($"packet: {e.GetType().Name}"); }
if (!escaped) Console.WriteLine("CONTAINED");
