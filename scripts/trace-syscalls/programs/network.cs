// Sockets inside the sandbox's own network namespace: TCP, UDP, IPv6, Unix sockets, DNS, HTTP, interfaces.
using System.Net;
using System.Net.Http;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
var listener = new TcpListener(IPAddress.Loopback, 0); listener.Start();
var port = ((IPEndPoint)listener.LocalEndpoint).Port;
var accept = listener.AcceptTcpClientAsync();
using (var c = new TcpClient()) { await c.ConnectAsync(IPAddress.Loopback, port); c.NoDelay = true; c.GetStream().Write("ping"u8); using var s = await accept; var buf = new byte[4]; await s.GetStream().ReadExactlyAsync(buf); Console.WriteLine(Encoding.ASCII.GetString(buf)); }
listener.Stop();
try { var l6 = new TcpListener(IPAddress.IPv6Loopback, 0); l6.Start(); using var c6 = new TcpClient(AddressFamily.InterNetworkV6); c6.Connect(IPAddress.IPv6Loopback, ((IPEndPoint)l6.LocalEndpoint).Port); Console.WriteLine("ipv6 ok"); l6.Stop(); } catch (Exception e) { Console.WriteLine($"ipv6: {e.Message}"); }
using (var dual = new Socket(SocketType.Stream, ProtocolType.Tcp)) { dual.DualMode = true; dual.Bind(new IPEndPoint(IPAddress.IPv6Any, 0)); dual.Listen(); Console.WriteLine("dual ok"); }
using (var u1 = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0))) using (var u2 = new UdpClient()) { u2.Send("hey"u8.ToArray(), 3, (IPEndPoint)u1.Client.LocalEndPoint!); var from = new IPEndPoint(IPAddress.Any, 0); Console.WriteLine(Encoding.ASCII.GetString(u1.Receive(ref from))); }
using (var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)) { s.EnableBroadcast = true; s.ReceiveTimeout = 10; s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); s.Bind(new IPEndPoint(IPAddress.Any, 0)); Console.WriteLine(s.Poll(1000, SelectMode.SelectRead)); }
try { using var h = new HttpClient { Timeout = TimeSpan.FromSeconds(3) }; await h.GetStringAsync("http://127.0.0.1:1/"); } catch (Exception e) { Console.WriteLine($"http closed port: {e.GetType().Name}"); }
try { using var h = new HttpClient { Timeout = TimeSpan.FromSeconds(3) }; await h.GetStringAsync("https://example.com/"); } catch (Exception e) { Console.WriteLine($"http internet: {e.GetType().Name}"); }
try { Console.WriteLine(string.Join(",", Dns.GetHostEntry("localhost").AddressList.Select(a => a.ToString()))); } catch (Exception e) { Console.WriteLine($"dns localhost: {e.GetType().Name}"); }
try { Console.WriteLine(Dns.GetHostEntry("example.com").AddressList.Length); } catch (Exception e) { Console.WriteLine($"dns example.com: {e.GetType().Name}"); }
try { Console.WriteLine((await Dns.GetHostAddressesAsync("example.org")).Length); } catch (Exception e) { Console.WriteLine($"dns async: {e.GetType().Name}"); }
Console.WriteLine(Dns.GetHostName());
var path = "/tmp/probe.sock";
using (var us = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
{
    us.Bind(new UnixDomainSocketEndPoint(path)); us.Listen();
    using var uc = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified); uc.Connect(new UnixDomainSocketEndPoint(path));
    using var ua = us.Accept(); uc.Send("unix"u8); var b = new byte[4]; ua.Receive(b); Console.WriteLine(Encoding.ASCII.GetString(b));
}
using (var ud = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified)) ud.Bind(new UnixDomainSocketEndPoint("/tmp/probe.dgram"));
try { using var sp = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified); Console.WriteLine("seqpacket ok"); } catch (Exception e) { Console.WriteLine($"seqpacket: {e.Message}"); }
try { foreach (var ni in NetworkInterface.GetAllNetworkInterfaces()) Console.WriteLine($"{ni.Name} {ni.OperationalStatus} {ni.GetIPProperties().UnicastAddresses.Count}"); } catch (Exception e) { Console.WriteLine($"interfaces: {e.GetType().Name}"); }
try { Console.WriteLine(NetworkInterface.GetIsNetworkAvailable()); } catch (Exception e) { Console.WriteLine($"available: {e.GetType().Name}"); }
try { Console.WriteLine(IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Length); } catch (Exception e) { Console.WriteLine($"listeners: {e.GetType().Name}"); }
try { using var ping = new Ping(); Console.WriteLine((await ping.SendPingAsync(IPAddress.Loopback, 500)).Status); } catch (Exception e) { Console.WriteLine($"ping: {e.GetType().Name}"); }
try { using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp); } catch (Exception e) { Console.WriteLine($"raw: {e.Message}"); }
try { using var icmp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Icmp); Console.WriteLine("icmp dgram ok"); } catch (Exception e) { Console.WriteLine($"icmp dgram: {e.Message}"); }
var (a1, a2) = (new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out), 0); a1.Dispose();
try
{
    using var ps = new System.IO.Pipes.NamedPipeServerStream("probe-pipe", System.IO.Pipes.PipeDirection.InOut, 1, System.IO.Pipes.PipeTransmissionMode.Byte, System.IO.Pipes.PipeOptions.Asynchronous);
    var wait = ps.WaitForConnectionAsync();
    using var pc = new System.IO.Pipes.NamedPipeClientStream(".", "probe-pipe", System.IO.Pipes.PipeDirection.InOut); pc.Connect(1000); await wait; pc.WriteByte(7); Console.WriteLine(ps.ReadByte());
}
catch (Exception e) { Console.WriteLine($"named pipe: {e.GetType().Name}"); }
var l2 = new TcpListener(IPAddress.Loopback, 0); l2.Start();
using (var c2 = new TcpClient()) { c2.Connect((IPEndPoint)l2.LocalEndpoint); using var s2 = l2.AcceptSocket(); c2.GetStream().Write(new byte[3]); Thread.Sleep(20); Console.WriteLine($"available {s2.Available} {s2.RemoteEndPoint} {s2.LocalEndPoint}"); s2.Blocking = false; s2.Blocking = true; c2.Client.Shutdown(SocketShutdown.Both); }
l2.Stop();
using (var sock = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)) { sock.LingerState = new LingerOption(true, 0); sock.ReceiveBufferSize = 8192; sock.SendTimeout = 100; sock.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true); Console.WriteLine(sock.ReceiveBufferSize > 0); }
