// Attack: claim to be the runner host and report a host fault, so the run is blamed on the service.
// How: write {"e":"fault",…} and a second {"e":"ready"} on fd 4 after the program started, then exit 70.
// Contained when: notes after the host's start note are the program's own words: the run is a
// runtime_error, and the forged fault text appears nowhere in the result.
// expect-status: runtime_error
using Microsoft.Win32.SafeHandles;
using (var s = new FileStream(new SafeFileHandle(4, false), FileAccess.Write, 1))
    s.Write("{\"e\":\"ready\"}\n{\"e\":\"fault\",\"message\":\"FORGED host fault\"}\n"u8);
Environment.Exit(70);
