// Attack: lie to the runner through the host's private channels (fd 3 and fd 4), e.g. claim a clean exit
// while crashing, or feed a second program in.
// How: write forged notes to fd 4, try to read more from fd 3, then crash with abort() (SIGABRT).
// Contained when: the runner still reports the crash as a runtime error (the notes are hints about the
// program's own outcome, never trusted for anything else), and nothing else changes.
// expect-status: runtime_error
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
try { using var s = new FileStream(new SafeFileHandle(4, false), FileAccess.Write); s.Write("{\"e\":\"exit\",\"code\":0}\n{\"e\":\"start\"}\n"u8); } catch (Exception e) { Console.WriteLine(e.GetType().Name); }
try { using var c = new FileStream(new SafeFileHandle(3, false), FileAccess.Read); Console.WriteLine($"fd3 gave {c.ReadByte()}"); } catch (Exception e) { Console.WriteLine($"fd3: {e.GetType().Name}"); }
Console.Out.Flush();
abort();
[DllImport("libc")] static extern void abort();
