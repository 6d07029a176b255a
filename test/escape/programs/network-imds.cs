// Attack: ask the cloud metadata service for credentials (Azure IMDS, AWS, GCP all live at 169.254.169.254).
// How: an HTTP GET to the Azure managed-identity token endpoint with the Metadata header.
// Contained when: the request fails: the address is unreachable from the sandbox's namespace.
// expect-status: ok
// expect-stdout: CONTAINED
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
var req = new HttpRequestMessage(HttpMethod.Get, "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/");
req.Headers.Add("Metadata", "true");
try { var r = await http.SendAsync(req); Console.WriteLine($"ESCAPED: IMDS answered {(int)r.StatusCode}"); }
catch (Exception e) { Console.WriteLine($"IMDS unreachable: {e.GetBaseException().Message}"); Console.WriteLine("CONTAINED"); }
