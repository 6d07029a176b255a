// Attack: hold a slot forever without using CPU (RLIMIT_CPU alone would never fire).
// How: await Task.Delay(-1).
// Contained when: the wall clock kills it; status timeout.
// timeout-ms: 1000
// expect-status: timeout
await Task.Delay(Timeout.Infinite);
