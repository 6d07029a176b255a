// Attack: forge a verdict: make the runner report "ran out of memory" (memory_limit) for a program that
// used a few MiB, by throwing a type of one's own named System.OutOfMemoryException. The runner host's
// note names the exception's type, and the program chooses that name.
// How: declare System.OutOfMemoryException in the user's assembly and throw it unhandled.
// Contained when: the run is a runtime_error (the status comes from what the host saw: an abnormal
// exit, no OOM kill, memory far from the cap); the note only words the reason.
// expect-status: runtime_error
namespace System { class OutOfMemoryException : Exception { } }
class Program { static void Main() { Console.WriteLine("about to lie"); throw new System.OutOfMemoryException(); } }
