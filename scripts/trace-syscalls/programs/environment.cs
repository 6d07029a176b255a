// Environment, process and GC facts programs print.
using System.Diagnostics;
using System.Runtime.InteropServices;
Console.WriteLine($"{Environment.MachineName} {Environment.UserName} {Environment.UserDomainName} {Environment.OSVersion} {Environment.Version}");
Console.WriteLine($"{Environment.ProcessorCount} {Environment.Is64BitProcess} {Environment.Is64BitOperatingSystem} {Environment.SystemPageSize} {Environment.ProcessId}");
Console.WriteLine($"{Environment.CurrentDirectory} {Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)} {Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData)} {Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)} {Environment.GetFolderPath(Environment.SpecialFolder.MyDocuments)}");
Console.WriteLine($"{Environment.WorkingSet} {Environment.TickCount} {Environment.CommandLine} {Environment.ProcessPath} {Environment.SystemDirectory}");
Console.WriteLine($"{Environment.GetEnvironmentVariables().Count} {Environment.GetEnvironmentVariable("PATH")} {string.Join(' ', Environment.GetCommandLineArgs())}");
Environment.SetEnvironmentVariable("X", "1"); Console.WriteLine(Environment.ExpandEnvironmentVariables("%X%"));
Console.WriteLine($"{Environment.StackTrace.Length > 0} {Environment.HasShutdownStarted} {Environment.IsPrivilegedProcess} {Environment.CpuUsage.TotalTime}");
Console.WriteLine($"{RuntimeInformation.OSDescription} {RuntimeInformation.FrameworkDescription} {RuntimeInformation.ProcessArchitecture} {RuntimeInformation.RuntimeIdentifier}");
Console.WriteLine($"{OperatingSystem.IsLinux()} {Environment.OSVersion.Platform}");
var p = Process.GetCurrentProcess();
Console.WriteLine($"{p.Id} {p.ProcessName} {p.WorkingSet64 > 0} {p.PrivateMemorySize64} {p.PeakWorkingSet64} {p.VirtualMemorySize64 > 0} {p.TotalProcessorTime} {p.UserProcessorTime} {p.StartTime.Year} {p.Threads.Count} {p.HandleCount} {p.BasePriority} {p.MainModule?.FileName}");
try { Console.WriteLine(p.Modules.Count); } catch (Exception e) { Console.WriteLine($"modules: {e.GetType().Name}"); }
try { Console.WriteLine(p.PriorityClass); p.PriorityClass = ProcessPriorityClass.BelowNormal; } catch (Exception e) { Console.WriteLine($"priority: {e.GetType().Name}"); }
try { Console.WriteLine(p.ProcessorAffinity); } catch (Exception e) { Console.WriteLine($"affinity: {e.GetType().Name}"); }
try { Console.WriteLine(Process.GetProcesses().Length); } catch (Exception e) { Console.WriteLine($"processes: {e.GetType().Name}"); }
try { Console.WriteLine(Process.GetProcessById(1).ProcessName); } catch (Exception e) { Console.WriteLine($"pid 1: {e.GetType().Name}"); }
GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(2, GCCollectionMode.Aggressive, true, true);
var info = GC.GetGCMemoryInfo(); Console.WriteLine($"{info.TotalAvailableMemoryBytes} {GC.GetTotalMemory(true)} {GC.GetTotalAllocatedBytes()} {GC.CollectionCount(0)} {System.Runtime.GCSettings.IsServerGC} {System.Runtime.GCSettings.LatencyMode}");
var big = new byte[100_000_000]; big[^1] = 1; Console.WriteLine(big.Length);
big = null; GC.Collect();
var lists = new List<int[]>(); for (var i = 0; i < 200; i++) lists.Add(new int[100_000]); Console.WriteLine(lists.Count);
unsafe { var mem = System.Runtime.InteropServices.NativeMemory.Alloc(1 << 24); System.Runtime.InteropServices.NativeMemory.Free(mem); }
var h = Marshal.AllocHGlobal(1 << 20); Marshal.FreeHGlobal(h);
try { if (GC.TryStartNoGCRegion(1 << 20)) GC.EndNoGCRegion(); } catch (Exception e) { Console.WriteLine(e.GetType().Name); }
GC.AddMemoryPressure(1 << 20); GC.RemoveMemoryPressure(1 << 20);
var wr = new WeakReference(new object()); GC.Collect(); Console.WriteLine(wr.IsAlive);
Console.WriteLine(AppDomain.CurrentDomain.GetAssemblies().Length > 0);
Console.WriteLine(AppContext.BaseDirectory + " " + AppContext.TargetFrameworkName);
Console.WriteLine(Type.GetType("System.Xml.XmlDocument, System.Private.Xml") is not null);
Console.WriteLine(new StackTrace(true).FrameCount > 0);
