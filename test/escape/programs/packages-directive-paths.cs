// Attack: make the compiler read (and so leak through its diagnostics) or reference a file of the host
// by naming it in a reference directive: a plain `#r` path, and paths dressed up as package names or
// versions, in the hope that one is joined to the packages folder.
// How: `#r "/etc/passwd"`, `#r "nuget: ../../x"`, a version with a path in it, `#:package` with the same.
// Contained when: each directive is refused at compile (SB0100 for what is no package name, SB0110 for a
// name that is not on the list), nothing is read from a path the snippet gave, and nothing runs.
// expect-status: compile_error
#r "/etc/passwd"
#r "/sandbox/host/packages/newtonsoft.json/13.0.4/lib/net6.0/Newtonsoft.Json.dll"
#r "nuget: ../../x"
#r "nuget: Newtonsoft.Json/../../../../etc"
#r "nuget: Newtonsoft.Json, .."
#:package ../../etc/passwd@1.0.0
#:package Newtonsoft.Json@../../../etc
System.Console.WriteLine("ESCAPED: it compiled");
