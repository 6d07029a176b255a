// Attack: survive the kill by handling SIGTERM (and SIGINT, SIGHUP) and carrying on.
// How: PosixSignalRegistration cancels the default action for each; then sleep.
// Contained when: the sandbox is still ended at the wall limit: the host uses SIGKILL on the whole pid
// namespace, which cannot be caught.
// timeout-ms: 1000
// expect-status: timeout
using System.Runtime.InteropServices;
var regs = new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP }.Select(s => PosixSignalRegistration.Create(s, c => c.Cancel = true)).ToList();
Console.WriteLine("ignoring signals");
Thread.Sleep(Timeout.Infinite);
GC.KeepAlive(regs);
