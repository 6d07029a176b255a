// Console input and terminal queries (stdin is a pipe, stdout too).
Console.WriteLine(Console.ReadLine());
try { Console.WriteLine(Console.ReadKey(true).KeyChar); } catch (Exception e) { Console.WriteLine($"ReadKey: {e.GetType().Name}"); }
try { Console.WriteLine(Console.KeyAvailable); } catch (Exception e) { Console.WriteLine($"KeyAvailable: {e.GetType().Name}"); }
Console.WriteLine(Console.In.ReadToEnd().Length);
Console.WriteLine(Console.ReadLine() is null);
try { Console.WriteLine(Console.WindowWidth); } catch (Exception e) { Console.WriteLine($"WindowWidth: {e.GetType().Name}"); }
try { Console.WriteLine(Console.BufferWidth); } catch (Exception e) { Console.WriteLine($"BufferWidth: {e.GetType().Name}"); }
try { Console.WriteLine(Console.CursorLeft); } catch (Exception e) { Console.WriteLine($"CursorLeft: {e.GetType().Name}"); }
try { Console.ForegroundColor = ConsoleColor.Red; Console.Write("red"); Console.ResetColor(); Console.WriteLine(); } catch (Exception e) { Console.WriteLine($"color: {e.GetType().Name}"); }
try { Console.Clear(); } catch (Exception e) { Console.WriteLine($"Clear: {e.GetType().Name}"); }
try { Console.Title = "x"; } catch (Exception e) { Console.WriteLine($"Title: {e.GetType().Name}"); }
try { Console.Beep(); } catch (Exception e) { Console.WriteLine($"Beep: {e.GetType().Name}"); }
try { Console.CursorVisible = false; } catch (Exception e) { Console.WriteLine($"CursorVisible: {e.GetType().Name}"); }
Console.WriteLine($"{Console.IsInputRedirected} {Console.IsOutputRedirected} {Console.IsErrorRedirected}");
Console.Error.WriteLine("to stderr");
Console.Out.Flush();
Console.OutputEncoding = System.Text.Encoding.UTF8;
Console.WriteLine("ünïcödé ✓ 🎉");
using var stdout = Console.OpenStandardOutput(); stdout.Write("raw\n"u8);
Console.CancelKeyPress += (_, _) => { };
System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ => { });
AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.WriteLine("exit handler");
