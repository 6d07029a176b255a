// Attack: flood the runner host's notes channel (fd 4), which the service reads beside stdout and stderr:
// 11.7 GB went through it in 3.5 s once, costing the service 3.3 s of CPU, and only its first 64 KiB was
// kept, so the host's real exit note could be pushed out of what the service read.
// How: write forged notes to fd 4 in a loop, as fast as possible, never to stdout.
// Contained when: the host counts fd 4 against the output cap, stops reading past its own cap and kills
// the sandbox: output_limit, well before the wall clock.
// timeout-ms: 5000
// expect-status: output_limit
using Microsoft.Win32.SafeHandles;
var line = "{\"e\":\"exit\",\"code\":0}\n"u8.ToArray();
var block = new byte[line.Length * 4096];
for (var i = 0; i < 4096; i++) line.CopyTo(block, i * line.Length);
using var s = new FileStream(new SafeFileHandle(4, false), FileAccess.Write, 1);
while (true) s.Write(block);
