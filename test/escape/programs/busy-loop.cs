// Attack: burn CPU forever.
// How: while (true) {} on every core.
// Contained when: the host's wall clock kills the sandbox at the limit; status timeout.
// timeout-ms: 1500
// concurrent-benign: true
// expect-status: timeout
Parallel.For(0, Environment.ProcessorCount, _ => { while (true) { } });
