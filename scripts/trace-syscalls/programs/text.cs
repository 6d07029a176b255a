// Text, cultures, regex (interpreted, compiled, source-less NonBacktracking), JSON, XML, LINQ, BigInteger.
using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json;
Console.WriteLine(Regex.IsMatch("abc123", @"\d+"));
Console.WriteLine(new Regex(@"(\w+)@(\w+)\.com", RegexOptions.Compiled).Match("me@x.com").Groups[2]);
Console.WriteLine(new Regex("a+b", RegexOptions.NonBacktracking).IsMatch("aab"));
Console.WriteLine(Regex.Replace("Hello", "l", "L", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant));
var json = JsonSerializer.Serialize(new { Name = "x", Values = new[] { 1, 2, 3 }, When = DateTime.UnixEpoch });
Console.WriteLine(json);
Console.WriteLine(JsonDocument.Parse(json).RootElement.GetProperty("Values").GetArrayLength());
Console.WriteLine(JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!.Count);
Console.WriteLine(System.Xml.Linq.XDocument.Parse("<a><b>1</b></a>").Root!.Element("b")!.Value);
Console.WriteLine(string.Join(",", Enumerable.Range(1, 100).Where(i => i % 7 == 0).Select(i => i * 2).OrderByDescending(i => i).Take(3)));
Console.WriteLine(Enumerable.Range(1, 10000).AsParallel().Sum());
foreach (var name in new[] { "de-DE", "ja-JP", "ar-SA", "tr-TR", "" })
{
    try { var c = new CultureInfo(name); Console.WriteLine($"{c.Name}: {1234567.891.ToString("N", c)} {DateTime.UnixEpoch.ToString("D", c)} {"i".ToUpper(c)}"); }
    catch (Exception e) { Console.WriteLine($"{name}: {e.GetType().Name}"); }
}
Console.WriteLine(CultureInfo.CurrentCulture.Name + "|" + CultureInfo.InstalledUICulture.Name);
Console.WriteLine(string.Compare("a", "B", StringComparison.CurrentCultureIgnoreCase));
Console.WriteLine("straße".Normalize(System.Text.NormalizationForm.FormD).Length);
Console.WriteLine(CultureInfo.GetCultures(CultureTypes.AllCultures).Length > 0);
Console.WriteLine(System.Numerics.BigInteger.Pow(2, 300) % 1000007);
Console.WriteLine(System.Numerics.Vector.IsHardwareAccelerated + " " + System.Numerics.Vector<float>.Count);
Console.WriteLine(System.Text.Encoding.Latin1.GetBytes("é").Length);
Console.WriteLine(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("hi")));
Console.WriteLine($"{Math.Sqrt(2):F5} {decimal.Parse("1.5", CultureInfo.InvariantCulture)} {Half.MaxValue}");
var sb = new System.Text.StringBuilder(); for (var i = 0; i < 1000; i++) sb.Append(i); Console.WriteLine(sb.Length);
