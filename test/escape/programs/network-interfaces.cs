// Attack: map the host's network from inside (interfaces, addresses, routes) to find a way out or a
// service to reach.
// How: list every network interface and address .NET can see (it asks the kernel over netlink).
// Contained when: the only interface is the sandbox's own loopback, or the kernel is not asked at all
// (seccomp refuses netlink sockets, so .NET throws NetworkInformationException).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Net.NetworkInformation;
NetworkInterface[] interfaces;
try { interfaces = NetworkInterface.GetAllNetworkInterfaces(); }
catch (NetworkInformationException e) { Console.WriteLine($"no interface list: {e.Message}"); interfaces = []; }
foreach (var i in interfaces) Console.WriteLine($"{i.Name} {i.OperationalStatus} {string.Join(",", i.GetIPProperties().UnicastAddresses.Select(a => a.Address.ToString()))}");
Console.WriteLine(interfaces.All(i => i.Name == "lo") ? "CONTAINED" : "ESCAPED: more than loopback");
