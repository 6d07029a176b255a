// Attack: read files of the host: password hashes, SSH keys, the project's .env, a canary file the test
// planted on the host (its path comes on stdin).
// How: File.ReadAllText on each path.
// Contained when: none of them exists in the sandbox's filesystem view.
// stdin: {{CANARY_FILE}}
// expect-status: ok
// expect-stdout: CONTAINED
var canary = Console.ReadLine()!;
var escaped = false;
foreach (var path in new[] { canary, "/etc/shadow", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/root/.ssh/id_rsa", "/root/.bash_history", "/home", "/proc/1/root/etc/shadow", "/.env", "/app/.env", "/work" })
{
    try { var text = File.ReadAllText(path); escaped = true; Console.WriteLine($"ESCAPED: read {path}: {text[..Math.Min(80, text.Length)]}"); }
    catch (Exception e) { Console.WriteLine($"{path}: {e.GetType().Name}"); }
}
if (!escaped) Console.WriteLine("CONTAINED");
