// A service started with descriptors it inherited without close-on-exec (a supervisor's log file, a
// socket-activation listener, a pipe to its parent) must not hand them to a sandbox: Node's spawn,
// bash, prlimit, setpriv, bwrap and tini all pass on whatever they got. One run read a root-only file
// and appended to another through such descriptors. The launcher closes everything above the
// sandbox's own descriptors first; this test starts the real runner (the CLI) with four such
// descriptors and looks at what the sandbox's pid 1 and the program hold.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'bin', 'sharpbox.js');

// Lists both descriptor tables: what the program could read from or write to, directly or through
// /proc/1/fd of its init.
const program = String.raw`
string List(string dir) => string.Join(";", Directory.GetFiles(dir).Select(f => $"{Path.GetFileName(f)}={new FileInfo(f).LinkTarget}"));
Console.WriteLine($"self {List("/proc/self/fd")}");
Console.WriteLine($"init {List("/proc/1/fd")}");
`;

let dir = '';
let server: Server;
let secret = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sharpbox-fds-'));
  secret = `fd-canary-${process.pid}-${Date.now()}`;
  await writeFile(join(dir, 'root-only'), secret, { mode: 0o600 });
  await writeFile(join(dir, 'append-me'), '', { mode: 0o600 });
  await writeFile(join(dir, 'program.cs'), program);
  server = createServer((s) => {
    s.on('error', () => undefined); // the client end is destroyed at the end of the test
    s.end(secret);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
after(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('descriptors the service inherited', () => {
  it('never reach the sandbox: pid 1 and the program hold only the sandbox’s own', async () => {
    const readFd = openSync(join(dir, 'root-only'), 'r');
    const appendFd = openSync(join(dir, 'append-me'), 'a');
    const socket = new Socket();
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.connect((server.address() as { port: number }).port, '127.0.0.1', r));
    // stdio 3..6 of the child: a root-only file, an append-mode file, a pipe to us, a TCP socket.
    const child = spawn(process.execPath, [bin, 'run', join(dir, 'program.cs'), '--json'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'error' },
      stdio: ['pipe', 'pipe', 'pipe', readFd, appendFd, 'pipe', socket],
    });
    // What the leaked descriptors are, as /proc shows them in the child: none may appear in the sandbox.
    const leaked = [3, 4, 5, 6].map((fd) => readlinkSync(`/proc/${child.pid}/fd/${fd}`));
    closeSync(readFd);
    closeSync(appendFd);
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    socket.destroy();
    assert.equal(code, 0, stdout);
    const result = JSON.parse(stdout) as { status: string; stdout: string };
    assert.equal(result.status, 'ok', stdout);

    const table = (label: string): Map<number, string> => {
      const line = result.stdout.split('\n').find((l) => l.startsWith(`${label} `)) ?? '';
      return new Map(
        line
          .slice(label.length + 1)
          .split(';')
          .filter(Boolean)
          .map((e) => [Number(e.slice(0, e.indexOf('='))), e.slice(e.indexOf('=') + 1)] as [number, string]),
      );
    };
    const init = table('init');
    const self = table('self');
    // pid 1 (tini) holds exactly what the runner gave the sandbox: stdin, stdout, stderr, program, notes.
    assert.deepEqual(
      [...init.keys()].sort((a, b) => a - b),
      [0, 1, 2, 3, 4],
      JSON.stringify([...init]),
    );
    for (const target of init.values()) assert.match(target, /^socket:\[\d+\]$/);
    // The program: its runner channels (the same sockets as pid 1's), the runtime's own files and pipes.
    const channels = new Set(init.values());
    for (const [fd, target] of self) {
      const ok =
        channels.has(target) ||
        /^pipe:\[\d+\]$/.test(target) ||
        /^anon_inode:/.test(target) ||
        /^\/(usr\/share\/dotnet|sandbox\/host|usr\/lib|dev)\//.test(target);
      assert.ok(ok, `the program holds fd ${fd} -> ${target}`);
    }
    for (const target of leaked) {
      assert.ok(
        ![...init.values(), ...self.values()].includes(target),
        `a leaked descriptor reached the sandbox: ${target}`,
      );
    }
    assert.ok(!result.stdout.includes(secret), 'the program read the root-only file or the socket');
    assert.equal(await readFile(join(dir, 'append-me'), 'utf8'), '');
  });
});
