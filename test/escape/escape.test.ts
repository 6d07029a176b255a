// The hostile-program corpus: every file in test/escape/programs is one attack, with a comment on how it
// works and what "contained" means, and machine-readable expectations in its header:
//   // expect-status: a, b        the run must end with one of these statuses
//   // expect-stdout: TEXT        stdout must contain TEXT (the programs print CONTAINED when every attempt failed)
//   // stdin: {{HOST_PORT}}       stdin, with placeholders filled in by this test ({{CANARY_FILE}}, {{PROJECT_ROOT}} too)
//   // timeout-ms: N              a lower wall-clock limit for this run
//   // runs: N                    run it N times in a row (persistence attacks)
//   // concurrent-benign: true    run Hello World at the same time; it must still succeed (host responsive)
//   // view: il|asm|lowered       submit it as that view instead of a run (src/runner/views.ts)
// And for every program, whatever it is: no output contains "ESCAPED" or any canary secret the test put in
// the service's environment and in files on the host; no process of the run outlives it (once the
// backend is idle, each sandbox uid runs at most the one fresh sandbox waiting for the next run).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LocalBackend } from '../../src/runner/backends/local/index.js';
import type { ViewKind } from '../../src/runner/types.js';
import { show, startTestRunner, type TestRunner } from '../support/runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const programsDir = join(root, 'test', 'escape', 'programs');

interface Program {
  file: string;
  attack: string;
  source: string;
  statuses: string[];
  stdout: string | null;
  stdin: string;
  timeoutMs: number | undefined;
  runs: number;
  concurrentBenign: boolean;
  view: ViewKind | undefined;
}

function parse(file: string): Program {
  const source = readFileSync(join(programsDir, file), 'utf8');
  const header = (key: string): string | null => new RegExp(`^// ${key}: (.*)$`, 'm').exec(source)?.[1]?.trim() ?? null;
  const statuses =
    header('expect-status')
      ?.split(',')
      .map((s) => s.trim()) ?? [];
  if (statuses.length === 0) throw new Error(`${file} has no expect-status line`);
  if (!header('Attack') || !header('How') || !/^\/\/ Contained when: /m.test(source))
    throw new Error(`${file} must say Attack, How and Contained when`);
  return {
    file,
    attack: header('Attack') ?? file,
    source,
    statuses,
    stdout: header('expect-stdout'),
    stdin: header('stdin') ?? '',
    timeoutMs: header('timeout-ms') ? Number(header('timeout-ms')) : undefined,
    runs: Number(header('runs') ?? 1),
    concurrentBenign: header('concurrent-benign') === 'true',
    view: (header('view') ?? undefined) as ViewKind | undefined,
  };
}

const programs = readdirSync(programsDir)
  .filter((f) => f.endsWith('.cs'))
  .sort()
  .map(parse);

const token = (label: string): string => `${label}-canary-${randomBytes(12).toString('hex')}`;
const secrets = {
  DISCORD_TOKEN: token('discord'),
  AZURE_CLIENT_SECRET: token('azure'),
  AZURE_STORAGE_CONNECTION_STRING: token('storage'),
  SHARPBOX_CANARY: token('env'),
};
const fileSecret = token('file');
const hostServiceSecret = token('service');
const canaryFiles = [
  `/root/.sharpbox-canary-${process.pid}`,
  `/tmp/sharpbox-canary-${process.pid}`,
  join(root, '.artifacts', `canary-${process.pid}`),
];
const saved: Record<string, string | undefined> = {};

let t: TestRunner;
let server: Server;
let hostPort = 0;

before(async () => {
  // The service's own environment holds the secrets, as in production.
  for (const [k, v] of Object.entries(secrets)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  await mkdir(join(root, '.artifacts'), { recursive: true });
  for (const f of canaryFiles) await writeFile(f, fileSecret, { mode: 0o644 });
  server = createServer((socket) => socket.end(hostServiceSecret));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hostPort = (server.address() as { port: number }).port;
  // Compile bombs are stopped at 6 s here rather than the default 10 s, to keep the suite short.
  t = await startTestRunner({ COMPILE_TIMEOUT_MS: '6000', RUN_TIMEOUT_MS: '5000' });
});

after(async () => {
  await t?.stop();
  server?.close();
  for (const f of canaryFiles) await rm(f, { force: true });
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/**
 * What runs under the sandbox uids once the backend is idle, beyond one sandbox per uid (the slots'
 * pre-started sandboxes and the compile server: bwrap, its init and one dotnet each). Anything else,
 * such as a second dotnet (a forked daemon) or a process of another name, outlived its run.
 */
async function leftovers(uids: readonly number[]): Promise<string[]> {
  const byUid = new Map<number, string[]>();
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    if (!uids.includes(uid)) continue;
    byUid.set(uid, [...(byUid.get(uid) ?? []), /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?']);
  }
  const extra: string[] = [];
  for (const [uid, names] of byUid) {
    const expected = ['bwrap', 'dotnet', 'init'];
    const sorted = [...names].sort();
    if (
      sorted.length > expected.length ||
      sorted.some((n, i) => n !== expected[i] && !expected.includes(n)) ||
      new Set(sorted).size !== sorted.length
    ) {
      extra.push(`uid ${uid}: ${sorted.join(', ')}`);
    }
  }
  return extra;
}

describe('hostile programs are contained', () => {
  it('has a corpus of at least 30 attacks', () => {
    assert.ok(programs.length >= 30, `only ${programs.length} programs`);
  });

  for (const p of programs) {
    it(`${p.file}: ${p.attack}`, async () => {
      const stdin = p.stdin
        .replace('{{HOST_PORT}}', String(hostPort))
        .replace('{{CANARY_FILE}}', canaryFiles[0] ?? '')
        .replace('{{PROJECT_ROOT}}', root);
      for (let i = 0; i < p.runs; i++) {
        const benign = p.concurrentBenign ? t.run('Console.WriteLine("benign ok");') : null;
        const r = await t.run(p.source, {
          stdin: stdin ? `${stdin}\n` : '',
          timeoutMs: p.timeoutMs,
          ...(p.view ? { view: p.view } : {}),
        });
        assert.ok(p.statuses.includes(r.status), `status ${r.status}, expected ${p.statuses.join(' or ')}\n${show(r)}`);
        if (p.stdout) assert.ok(r.stdout.includes(p.stdout), `stdout lacks ${p.stdout}\n${show(r)}`);
        const everything = `${r.stdout}\n${r.stderr}\n${r.reason}\n${JSON.stringify(r.diagnostics)}`;
        assert.ok(!everything.includes('ESCAPED'), show(r));
        for (const secret of [...Object.values(secrets), fileSecret, hostServiceSecret]) {
          assert.ok(!everything.includes(secret), `a canary secret leaked into the output\n${show(r)}`);
        }
        if (benign) {
          const b = await benign;
          assert.equal(b.status, 'ok', `a benign run beside the attack failed\n${show(b)}`);
          assert.equal(b.stdout, 'benign ok\n');
        }
        const backend = t.backend;
        assert.ok(backend instanceof LocalBackend);
        await backend.idle();
        assert.deepEqual(await leftovers(backend.slotUids), [], 'processes of the sandbox uids outlived the run');
      }
    });
  }
});
