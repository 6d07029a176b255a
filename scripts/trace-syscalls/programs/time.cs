// Clocks, time zones, stopwatch.
using System.Diagnostics;
Console.WriteLine(DateTime.Now.Year > 2000);
Console.WriteLine(DateTimeOffset.Now.Offset);
Console.WriteLine(TimeZoneInfo.Local.Id);
foreach (var id in new[] { "Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "W. Europe Standard Time" })
{
    try { var tz = TimeZoneInfo.FindSystemTimeZoneById(id); Console.WriteLine($"{id}: {TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, tz).Kind} {tz.DisplayName}"); }
    catch (Exception e) { Console.WriteLine($"{id}: {e.GetType().Name}"); }
}
Console.WriteLine(TimeZoneInfo.GetSystemTimeZones().Count > 0);
var sw = Stopwatch.StartNew(); Thread.Sleep(5); Console.WriteLine(sw.ElapsedMilliseconds >= 4);
Console.WriteLine(Stopwatch.IsHighResolution + " " + Environment.TickCount64 + " " + TimeProvider.System.GetTimestamp());
Console.WriteLine(DateTime.UtcNow.ToString("O").Length);
