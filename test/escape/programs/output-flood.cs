// Attack: flood the host with output until it runs out of memory buffering it.
// How: write 100 MB to stdout in one call.
// Contained when: the host-side reader stops at the cap, kills the sandbox and marks the output truncated.
// expect-status: output_limit
Console.Write(new string('a', 100_000_000));
