// Attack: use the kernel keyring, which is not namespaced: keys of the service's uid (or a session
// keyring shared with the launcher) could be readable, and keyctl has a history of kernel bugs.
// How: keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING) and add_key through syscall().
// Contained when: both fail with EPERM (seccomp).
// expect-status: ok
// expect-stdout: CONTAINED
using System.Runtime.InteropServices;
long k = syscall(250, 0, -3, 0);
int e1 = Marshal.GetLastPInvokeError();
long a = syscall(248, 0, 0, 0);
int e2 = Marshal.GetLastPInvokeError();
Console.WriteLine($"keyctl {k} errno {e1}; add_key {a} errno {e2}");
Console.WriteLine(k == -1 && e1 == 1 && a == -1 && e2 == 1 ? "CONTAINED" : "ESCAPED");
[DllImport("libc", SetLastError = true)] static extern long syscall(long n, long a, long b, long c);
