// Environment.Exit with a code, from a non-main thread too.
Console.WriteLine("exiting");
var t = new Thread(() => Environment.Exit(3)); t.Start(); t.Join();
