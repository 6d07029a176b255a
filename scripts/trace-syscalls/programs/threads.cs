// Threads, the thread pool, Tasks, Parallel, async/await, timers, waits, thread names and priorities.
var t = new Thread(() => Console.WriteLine($"thread {Environment.CurrentManagedThreadId}")) { Name = "worker", IsBackground = true };
t.Start(); t.Join();
try { var p = new Thread(() => { }) { Priority = ThreadPriority.Highest }; p.Start(); p.Join(); } catch (Exception e) { Console.WriteLine($"priority: {e.GetType().Name}"); }
var sum = 0L;
Parallel.For(0, 1000, i => Interlocked.Add(ref sum, i));
Console.WriteLine($"parallel {sum}");
var tasks = Enumerable.Range(0, 20).Select(i => Task.Run(async () => { await Task.Delay(5); return i * i; })).ToArray();
Console.WriteLine($"tasks {(await Task.WhenAll(tasks)).Sum()}");
var tcs = new TaskCompletionSource();
using var timer = new System.Threading.Timer(_ => tcs.TrySetResult(), null, 10, Timeout.Infinite);
await tcs.Task;
using var pt = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
for (var i = 0; i < 3; i++) await pt.WaitForNextTickAsync();
var gate = new object(); var ready = false;
var waiter = new Thread(() => { lock (gate) { while (!ready) Monitor.Wait(gate); } }); waiter.Start();
lock (gate) { ready = true; Monitor.PulseAll(gate); } waiter.Join();
using var sem = new SemaphoreSlim(0); _ = Task.Run(() => sem.Release()); await sem.WaitAsync();
using var mre = new ManualResetEventSlim(); ThreadPool.QueueUserWorkItem(_ => mre.Set()); mre.Wait();
using var cts = new CancellationTokenSource(20);
try { await Task.Delay(-1, cts.Token); } catch (OperationCanceledException) { Console.WriteLine("cancelled"); }
var ch = System.Threading.Channels.Channel.CreateUnbounded<int>();
_ = Task.Run(async () => { for (var i = 0; i < 5; i++) await ch.Writer.WriteAsync(i); ch.Writer.Complete(); });
await foreach (var x in ch.Reader.ReadAllAsync()) Console.Write(x);
Console.WriteLine();
var tl = new ThreadLocal<int>(() => Environment.CurrentManagedThreadId); Console.WriteLine(tl.Value > 0);
var al = new AsyncLocal<int> { Value = 3 }; await Task.Yield(); Console.WriteLine(al.Value);
Thread.Sleep(10); Thread.Yield(); Thread.SpinWait(100);
try { using var m = new Mutex(false, "sharpbox-probe"); m.WaitOne(); m.ReleaseMutex(); Console.WriteLine("named mutex ok"); } catch (Exception e) { Console.WriteLine($"named mutex: {e.GetType().Name}: {e.Message}"); }
try { using var s = new Semaphore(1, 1, "sharpbox-sem"); Console.WriteLine("named semaphore ok"); } catch (Exception e) { Console.WriteLine($"named semaphore: {e.GetType().Name}"); }
using (var m2 = new Mutex()) { m2.WaitOne(); m2.ReleaseMutex(); }
var wh = new AutoResetEvent(false); ThreadPool.RegisterWaitForSingleObject(wh, (_, _) => { }, null, 10, true); wh.Set();
Console.WriteLine($"cpus {Environment.ProcessorCount}");
