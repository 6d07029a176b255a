// Attack: a thread bomb: threads are tasks to the kernel, and 10,000 sleeping threads can starve a host.
// How: start threads that sleep forever until something fails.
// Contained when: thread creation fails at the sandbox's task limit (reported by .NET as an
// OutOfMemoryException), the program sees it, and the host is untouched.
// concurrent-benign: true
// expect-status: ok
// expect-stdout: CONTAINED
Console.WriteLine("starting"); // the console needs a thread of its own: start it before the bomb
var started = 0;
try
{
    for (; started < 10_000; started++) new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = true }.Start();
    Console.WriteLine("ESCAPED: 10,000 threads started");
}
catch (Exception e) { Console.WriteLine($"thread {started} failed: {e.GetType().Name}"); Console.WriteLine(started < 200 ? "CONTAINED" : "ESCAPED: too many threads"); }
