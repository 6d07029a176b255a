// Attack: flood stderr instead, in case only stdout is capped.
// How: an endless loop of Console.Error.WriteLine.
// Contained when: stderr counts against the same cap; status output_limit.
// expect-status: output_limit
while (true) Console.Error.WriteLine("err err err err err err err err");
