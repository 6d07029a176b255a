// The sandbox image as a worker (SHARPBOX_MODE=worker, container/host/Worker.cs), run by a real Docker
// engine the way ACI runs a group: as root with the engine's default capabilities (ACI starts an image
// without USER so), a read-only root with tmpfs /tmp, /var/tmp and /dev/shm, the group's CPU and memory.
// The jobs, code and results are blobs on a real Azurite behind SAS URLs made by the aci backend's own
// clients (workerBlobs.ts), laid out as the worker protocol says. What is checked is what the protocol
// promises the service: each run its own uid with nothing of root's, nothing of one run visible to the
// next, no SAS URL reachable from a run, and when the worker retires, cancels or refuses.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { show } from '../support/runner.js';
import { docker, removeContainer } from './docker.js';
import { runImage, runOneShot, START_ALLOWANCE_MS, startImageEnv, type ImageEnv } from './imageRuns.js';
import { WorkerBlobs, type WorkerRunFacts } from './workerBlobs.js';

/** ACI's writable layer, with the read-only root: every place a run could write to is a tmpfs. */
const WORKER_FLAGS = ['--tmpfs', '/var/tmp:rw,nosuid,nodev,size=64m', '--tmpfs', '/dev/shm:rw,nosuid,nodev,size=64m'];
/** A worker container's whole life in these tests: start, a warm-up compile and a few short runs. */
const WORKER_DEADLINE_MS = 240_000;
/** A run's facts arrive within this (a cold start and compile on two shared cores included). */
const RESULT_WAIT_MS = 120_000;
const NOTHING_OF_ROOT = {
  CapInh: '0000000000000000',
  CapPrm: '0000000000000000',
  CapEff: '0000000000000000',
  CapBnd: '0000000000000000',
  CapAmb: '0000000000000000',
  NoNewPrivs: '1',
  Groups: '',
};

/**
 * What a run can see of the container, one `key=value` line each, then files left in every writable
 * place and a SysV shared memory segment, for the next run to find (it must not).
 */
const PROBE = String.raw`
using System.Runtime.InteropServices;
string Try(Func<string> f) { try { return f(); } catch (Exception e) { return e.GetType().Name; } }
string Ls(string dir) => string.Join(",", Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());
var status = File.ReadAllLines("/proc/self/status").Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
foreach (var k in new[] { "Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs" }) Console.WriteLine($"{k}={status[k]}");
Console.WriteLine("oom=" + File.ReadAllText("/proc/self/oom_score_adj").Trim());
Console.WriteLine("tmp=" + Ls("/tmp"));
Console.WriteLine("vartmp=" + Ls("/var/tmp"));
Console.WriteLine("shm=" + Ls("/dev/shm"));
Console.WriteLine("mqueue=" + Ls("/dev/mqueue"));
Console.WriteLine("sysvshm=" + (File.ReadAllLines("/proc/sysvipc/shm").Length - 1));
Console.WriteLine("pid1environ=" + Try(() => File.ReadAllText("/proc/1/environ").Length.ToString()));
var sas = 0;
foreach (var p in Directory.GetDirectories("/proc").Where(p => char.IsDigit(Path.GetFileName(p)[0])))
    foreach (var f in new[] { "environ", "cmdline" })
        if (Try(() => File.ReadAllText(Path.Combine(p, f))).Contains("sig=")) sas++;
Console.WriteLine("sasSeen=" + sas);
Console.WriteLine("sharpboxVars=" + Environment.GetEnvironmentVariables().Keys.Cast<string>().Count(k => k.StartsWith("SHARPBOX_")));
Console.WriteLine("home=" + Environment.GetEnvironmentVariable("HOME"));
Console.WriteLine("cwd=" + Environment.CurrentDirectory);
var me = status["Uid"].Split('\t')[0];
File.WriteAllText($"/tmp/left-{me}", "x");
File.WriteAllText($"/dev/shm/left-{me}", "x");
Directory.CreateDirectory($"/var/tmp/left-{me}/deeper");
File.WriteAllText($"/var/tmp/left-{me}/deeper/file", "x");
Console.WriteLine("shmget=" + (Native.shmget(int.Parse(me), 4096, 0x200 | 0x1b6) >= 0));
static class Native { [DllImport("libc")] public static extern int shmget(int key, nint size, int flags); }
`;

/** The probe's `key=value` lines. */
function probed(facts: WorkerRunFacts | null): Record<string, string> {
  assert.ok(facts?.exec, `no run: ${JSON.stringify(facts)}`);
  return Object.fromEntries(
    facts.exec.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

let env: ImageEnv;

before(async () => {
  env = await startImageEnv();
});

after(async () => {
  await env?.azurite.stop();
});

/** A worker group's container, started in the background (it runs until it retires or its deadline). */
function startWorker(name: string, vars: Record<string, string>, flags: readonly string[] = []) {
  return runImage(env.config, name, vars, [...WORKER_FLAGS, ...flags], WORKER_DEADLINE_MS);
}

/** A fresh worker's blobs and a container name for it; both removed afterwards, whatever happened. */
async function withWorker(test: (worker: WorkerBlobs, name: string) => Promise<void>): Promise<void> {
  const worker = new WorkerBlobs(env.clients, env.config.limits);
  const name = `sharpbox-worker-test-${randomUUID().slice(0, 8)}`;
  try {
    await test(worker, name);
  } finally {
    await removeContainer(name);
    await worker.remove();
  }
}

/** Waits until the container runs a process as `uid` (the engine's view of it, from outside). */
async function waitForUid(name: string, uid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // The engine needs the pid column; ps prints a uid without a name here (as this machine has none) as a number.
    const top = await docker(['top', name, '-o', 'pid,uid,args'], 10_000);
    if (top.stdout.split('\n').some((l) => l.trim().split(/\s+/)[1] === String(uid) && l.includes(' exec '))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`no process of uid ${uid} in ${name} within ${timeoutMs} ms`);
}

describe('the sandbox image as a worker (aci backend)', () => {
  it('serves three runs in a row, each as a new uid with nothing of root, leaving nothing of one run for the next, then retires (max-runs)', (t) =>
    withWorker(async (worker, name) => {
      const running = startWorker(name, await worker.env(3, WORKER_DEADLINE_MS));
      const runs: WorkerRunFacts[] = [];
      for (let i = 1; i <= 3; i++) {
        await worker.assign(i, PROBE);
        const facts = await worker.result(i, RESULT_WAIT_MS);
        assert.ok(facts, `no result for run ${i}`);
        runs.push(facts);
      }
      const out = await running;
      const log = out.stdout + out.stderr;
      assert.equal(out.code, 0, log);
      // What the worker found and did (its scan, its own OOM standing), for the record.
      for (const line of out.stderr.split('\n').filter((l) => l.startsWith('sharpbox worker:'))) t.diagnostic(line);
      runs.forEach((facts, index) => {
        const i = index + 1;
        const uid = String(20_000 + i);
        const seen = probed(facts);
        assert.equal(facts.exec?.exitCode, 0, `${facts.exec?.stderr}\n${log}`);
        assert.deepEqual(facts.worker, { run: i, retiring: i === 3, why: i === 3 ? 'max-runs' : null });
        assert.equal(seen.Uid, [uid, uid, uid, uid].join('\t'), 'real, effective, saved and filesystem uid');
        assert.equal(seen.Gid, [uid, uid, uid, uid].join('\t'));
        for (const [k, v] of Object.entries(NOTHING_OF_ROOT)) assert.equal(seen[k], v, k);
        assert.equal(seen.oom, '1000', 'the OOM killer takes the run first');
        assert.equal(seen.tmp, `sharpbox-run-${i}`, 'only its own scratch dir in /tmp: run 1..i-1 left nothing');
        assert.equal(seen.vartmp, '');
        assert.equal(seen.shm, '');
        assert.equal(seen.mqueue, '');
        assert.equal(seen.sysvshm, '0', 'no SysV segment of an earlier run');
        assert.equal(seen.shmget, 'True');
        assert.equal(
          seen.pid1environ,
          'UnauthorizedAccessException',
          "the worker's environment (its job URL) is closed to the run",
        );
        assert.equal(seen.sasSeen, '0', 'no SAS URL in any environ or cmdline the run can read');
        assert.equal(seen.sharpboxVars, '0');
        assert.equal(seen.home, `/tmp/sharpbox-run-${i}`);
        assert.equal(seen.cwd, `/tmp/sharpbox-run-${i}`);
      });
    }));

  it('ends a run when its cancel blob appears and goes on, then retires at once after a run that timed out (limit-hit)', () =>
    withWorker(async (worker, name) => {
      const running = startWorker(name, await worker.env(5, WORKER_DEADLINE_MS));
      await worker.assign(1, 'Console.WriteLine("waiting"); Thread.Sleep(120_000);', { timeoutMs: 60_000 });
      await waitForUid(name, 20_001, RESULT_WAIT_MS);
      // Past the runtime's start-up, so the program has printed.
      await new Promise((r) => setTimeout(r, 2000));
      const cancelled = Date.now();
      await worker.cancel(1);
      const first = await worker.result(1, RESULT_WAIT_MS);
      assert.ok(first?.exec, JSON.stringify(first));
      assert.ok(Date.now() - cancelled < 10_000, `the cancellation took ${Date.now() - cancelled} ms`);
      assert.equal(first.cancelled, true);
      assert.equal(first.exec.stdout, 'waiting\n');
      assert.equal(first.exec.timedOut, false);
      assert.deepEqual(first.worker, { run: 1, retiring: false, why: null });

      await worker.assign(2, 'Console.WriteLine("spinning"); while (true) { }', { timeoutMs: 2000 });
      const second = await worker.result(2, RESULT_WAIT_MS);
      assert.ok(second?.exec, JSON.stringify(second));
      assert.equal(second.exec.timedOut, true);
      assert.equal(second.exec.stdout, 'spinning\n');
      assert.equal(second.cancelled, undefined);
      assert.deepEqual(second.worker, { run: 2, retiring: true, why: 'limit-hit' });
      const out = await running;
      assert.equal(out.code, 0, out.stdout + out.stderr);
    }));

  it('refuses a job with a missing field: exit 78, nothing uploaded', () =>
    withWorker(async (worker, name) => {
      await worker.assign(1, 'Console.WriteLine(1);', { without: 'SHARPBOX_CANCEL_URL' });
      const out = await startWorker(name, await worker.env(3, WORKER_DEADLINE_MS));
      assert.equal(out.code, 78, out.stdout + out.stderr);
      assert.match(out.stderr, /SHARPBOX_CANCEL_URL is missing or malformed in job 1/);
      assert.deepEqual(await worker.names(), ['job-1.json', 'run-1/Program.cs']);
    }));

  it('exits 77 at once when storage refuses the job URL (403)', () =>
    withWorker(async (worker, name) => {
      const vars = await worker.env(3, WORKER_DEADLINE_MS);
      const started = Date.now();
      const out = await startWorker(name, {
        ...vars,
        SHARPBOX_JOB_URL: vars.SHARPBOX_JOB_URL?.replace(/sig=[^&]+/, 'sig=revoked') ?? '',
      });
      assert.equal(out.code, 77, out.stdout + out.stderr);
      assert.match(out.stderr, /storage refused the job 1 URL \(HTTP 403\)/);
      assert.ok(Date.now() - started < START_ALLOWANCE_MS, `took ${Date.now() - started} ms`);
    }));

  it('refuses worker mode as a non-root user, and a missing or unknown SHARPBOX_MODE, with 78', async () => {
    const worker = new WorkerBlobs(env.clients, env.config.limits);
    const vars = await worker.env(3, WORKER_DEADLINE_MS);
    const { SHARPBOX_MODE: _mode, ...modeless } = vars;
    const cases: [string, Record<string, string>, string[], RegExp][] = [
      [
        'as uid 10001',
        vars,
        ['--user', '10001:10001'],
        /worker mode needs root in the container, to give each run its own user/,
      ],
      ['without a mode', modeless, [], /SHARPBOX_MODE is not set/],
      [
        'with an unknown mode',
        { ...vars, SHARPBOX_MODE: 'pool' },
        [],
        /SHARPBOX_MODE is 'pool', not oneshot or worker/,
      ],
    ];
    for (const [what, caseVars, flags, message] of cases) {
      const name = `sharpbox-worker-test-${randomUUID().slice(0, 8)}`;
      try {
        const out = await startWorker(name, caseVars, flags);
        assert.equal(out.code, 78, `${what}: ${out.stdout}${out.stderr}`);
        assert.match(out.stderr, message, what);
      } finally {
        await removeContainer(name);
      }
    }
  });

  it('still runs one-shot mode when started as root: the program runs as the sandbox user 10001 with nothing of root', async () => {
    const run = await runOneShot(
      env,
      [],
      'foreach (var l in File.ReadAllLines("/proc/self/status")) if (l.StartsWith("Uid:") || l.StartsWith("Groups:") || l.StartsWith("CapEff:") || l.StartsWith("CapBnd:") || l.StartsWith("NoNewPrivs:")) Console.WriteLine(l.TrimEnd());',
    );
    assert.equal(run.result.status, 'ok', `${show(run.result)}\n${run.log}`);
    assert.equal(
      run.result.stdout,
      'Uid:\t10001\t10001\t10001\t10001\nGroups:\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\n',
    );
    assert.equal(run.exitCode, 0);
  });
});
