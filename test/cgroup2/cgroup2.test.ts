// The local sandbox on a real cgroup v2 kernel, the hierarchy of the hosts people deploy on. Only runs
// there: `npm run test:cgroup2` boots a cgroup-v2-only VM (../shared/tools/cgroup2-vm, QEMU without
// KVM, so slow) and runs this file inside it; the ordinary suite on this machine (cgroup v1) covers
// the v1 driver.
//
// The service is started as it is on a real host: inside a cgroup that already holds another process
// (as tini does in a container, or the unit's processes under systemd), so the driver must delegate
// (move every process into a leaf, enable the controllers) before any cap can hold. Every cap is then
// shown working on v2: memory (managed, unmanaged, tmpfs pages, socket buffers) with its peak, tasks,
// CPU; and no cgroup is left behind.
//
// Deadlines are scaled: under emulation a compile server takes ~1 min to warm up and a first compile
// another minute (measured 2026-11-30), where this machine takes 2 s.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, statfs, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LocalBackend } from '../../src/runner/backends/local/index.js';
import { SERVICE_LEAF, STEPS_PARENT } from '../../src/runner/backends/local/cgroupV2.js';
import { show, startTestRunner, type TestRunner } from '../support/runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corpus = (file: string): string => readFileSync(join(root, 'test', 'escape', 'programs', file), 'utf8');
const MiB = 1024 * 1024;
const CGROUP2_SUPER_MAGIC = 0x63677270;
const cgroupRoot = '/sys/fs/cgroup';
/** The cgroup the "service" (this test process) starts in, beside another process. */
const hostCgroup = join(cgroupRoot, `sharpbox-test-host-${process.pid}`);
const stepsParent = join(hostCgroup, STEPS_PARENT);

let t: TestRunner;
let backend: LocalBackend;
let neighbour: ChildProcess | null = null;
let memoryCap = 0;
let helloPeak = 0;

const ownCgroup = async (pid: number | 'self'): Promise<string> =>
  /^0::(.*)$/m.exec(await readFile(`/proc/${pid}/cgroup`, 'utf8'))?.[1] ?? '';

/** Step cgroups under our parent, each with the pids inside. */
async function steps(): Promise<{ name: string; pids: number }[]> {
  const entries = await readdir(stepsParent, { withFileTypes: true });
  return Promise.all(
    entries
      .filter((e) => e.isDirectory())
      .map(async (e) => ({
        name: e.name,
        pids: (await readFile(join(stepsParent, e.name, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).length,
      })),
  );
}

/** After a run: only live sandboxes keep a cgroup (each slot's waiting ones, poolDepth of them; the compile servers). */
async function assertNoCgroupLeft(): Promise<void> {
  await backend.idle();
  const live = await steps();
  for (const s of live) assert.ok(s.pids > 0, `cgroup ${s.name} is left without a sandbox in it`);
  assert.ok(
    live.length <= t.config.slots * t.config.sandbox.poolDepth + t.config.compileServers,
    `more cgroups than sandboxes: ${JSON.stringify(live)}`,
  );
}

describe('local sandbox on cgroup v2 (delegated)', { timeout: 40 * 60_000 }, () => {
  before(async () => {
    const fs = await statfs(cgroupRoot);
    assert.equal(
      fs.type,
      CGROUP2_SUPER_MAGIC,
      `${cgroupRoot} is not cgroup v2: run this file through npm run test:cgroup2 (the cgroup v2 VM)`,
    );
    // A cgroup holding the service and a neighbour, as a container's root holds tini beside node.
    await mkdir(hostCgroup);
    neighbour = spawn('sleep', ['3600'], { stdio: 'ignore' });
    for (const pid of [neighbour.pid, process.pid]) await writeFile(join(hostCgroup, 'cgroup.procs'), String(pid));
    assert.equal(await ownCgroup('self'), hostCgroup.slice(cgroupRoot.length));

    // Not delegated yet (the parent hands no controllers down): a clear refusal that says what to change.
    await assert.rejects(
      startTestRunner({ SANDBOX_CGROUP: 'v2' }),
      /memory and pids controllers are not delegated to .*Delegate=yes.*--cgroupns=private/,
    );
    // What systemd (Delegate=yes) or Docker does for the service's cgroup: controllers handed down to it.
    await writeFile(join(cgroupRoot, 'cgroup.subtree_control'), '+memory +pids +cpu');

    t = await startTestRunner({
      SANDBOX_CGROUP: 'v2', // insist: a silent fall-back to rlimits would pass half of this file
      SANDBOX_START_TIMEOUT_MS: String(15 * 60_000),
      COMPILE_TIMEOUT_MS: String(5 * 60_000),
      RUN_TIMEOUT_MS: '120000',
    });
    backend = t.backend as LocalBackend;
    memoryCap = t.config.limits.memoryBytes;
  });

  after(async () => {
    await t?.stop();
    neighbour?.kill('SIGKILL');
    // Everything the service created is gone once it stops: only our test scaffolding is left.
    if (t) assert.deepEqual(await steps(), [], 'step cgroups left after stop');
    for (const dir of [stepsParent, join(hostCgroup, SERVICE_LEAF), hostCgroup]) {
      for (let i = 0; i < 50; i++) {
        const gone = await rmdir(dir).then(
          () => true,
          (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
        );
        if (gone) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  it('delegated: moved the service and its neighbour into a leaf and handed memory, pids and cpu to the sandboxes', async () => {
    assert.equal(await ownCgroup('self'), join(hostCgroup, SERVICE_LEAF).slice(cgroupRoot.length));
    assert.equal(await ownCgroup(neighbour?.pid ?? 0), join(hostCgroup, SERVICE_LEAF).slice(cgroupRoot.length));
    assert.equal(
      (await readFile(join(hostCgroup, 'cgroup.procs'), 'utf8')).trim(),
      '',
      'no process left in the delegating cgroup',
    );
    for (const dir of [hostCgroup, stepsParent]) {
      const enabled = (await readFile(join(dir, 'cgroup.subtree_control'), 'utf8')).trim().split(' ');
      for (const c of ['memory', 'pids', 'cpu'])
        assert.ok(enabled.includes(c), `${c} not enabled in ${dir}: ${enabled.join(' ')}`);
    }
    const health = backend.health();
    assert.match(health.detail, /cgroups v2 \(memory, pids, cpu\)/);
  });

  it('runs Hello World with the peak memory of its cgroup, and leaves no cgroup behind', async () => {
    const r = await t.run('Console.WriteLine("hello from cgroup v2");');
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout, 'hello from cgroup v2\n');
    assert.ok(
      r.peakMemoryBytes !== null && r.peakMemoryBytes > 2 * MiB && r.peakMemoryBytes < memoryCap,
      `peak ${r.peakMemoryBytes}`,
    );
    assert.ok(r.cpuMs !== null && r.cpuMs > 0, 'CPU time from cpu.stat');
    helloPeak = r.peakMemoryBytes;
    // The step's limits as the kernel holds them (memory.max, swap, oom.group, pids.max): read from the
    // slot's next sandbox, which got the same settings.
    await backend.idle();
    const next = (await steps()).map((s) => join(stepsParent, s.name));
    assert.ok(next.length > 0);
    const files = await Promise.all(
      next.map(async (d) => ({
        max: (await readFile(join(d, 'memory.max'), 'utf8')).trim(),
        group: (await readFile(join(d, 'memory.oom.group'), 'utf8')).trim(),
      })),
    );
    assert.ok(
      files.some((f) => f.max === String(memoryCap) && f.group === '1'),
      JSON.stringify(files),
    );
    await assertNoCgroupLeft();
  });

  for (const [file, what] of [
    ['memory-managed.cs', 'managed'],
    ['memory-unmanaged.cs', 'unmanaged (NativeMemory)'],
  ] as const) {
    it(`ends a ${what} memory bomb as memory_limit from memory.events, with the peak at the cap`, async () => {
      const r = await t.run(corpus(file));
      assert.equal(r.status, 'memory_limit', show(r));
      assert.ok(
        r.peakMemoryBytes !== null && r.peakMemoryBytes > memoryCap * 0.9 && r.peakMemoryBytes <= memoryCap + MiB,
        `peak ${r.peakMemoryBytes} of ${memoryCap}`,
      );
      await assertNoCgroupLeft();
    });
  }

  it('counts tmpfs pages against the sandbox memory (its peak grows by what /tmp holds)', async () => {
    // 48 MiB in /tmp (its cap is 64 MiB), held while the run ends: nothing else grows.
    const r = await t.run(
      'var block = new byte[1 << 20]; Random.Shared.NextBytes(block); using (var f = File.Create("/tmp/pages")) for (var i = 0; i < 48; i++) f.Write(block); Console.WriteLine(new FileInfo("/tmp/pages").Length);',
    );
    assert.equal(r.status, 'ok', show(r));
    assert.equal(r.stdout.trim(), String(48 * MiB));
    // The file's 48 MiB alone is three times Hello World's whole peak: only counted tmpfs pages get there
    // (the runtime's own share varies by a few MiB from run to run, so no tighter sum is asserted).
    assert.ok(
      r.peakMemoryBytes !== null && r.peakMemoryBytes >= 48 * MiB && r.peakMemoryBytes > helloPeak + 32 * MiB,
      `peak ${r.peakMemoryBytes} vs Hello World ${helloPeak}`,
    );
    await assertNoCgroupLeft();
  });

  it('stops a thread bomb at pids.max (the reason comes from pids.events, which only the kernel writes)', async () => {
    // Uncaught: the runtime reports the failed thread start as OutOfMemoryException; only a count in
    // pids.events turns that into the task-limit reason. (RLIMIT_NPROC is set two tasks higher, so it
    // is pids.max that stops the bomb.)
    const r = await t.run(
      'for (var i = 0; i < 10_000; i++) new Thread(() => Thread.Sleep(-1)) { IsBackground = true }.Start();',
    );
    assert.equal(r.status, 'runtime_error', show(r));
    assert.match(
      r.reason ?? '',
      new RegExp(`the limit of ${t.config.limits.maxProcesses} threads and processes was reached`),
      show(r),
    );
    await assertNoCgroupLeft();
  });

  it('starts waiting sandboxes at the lowest CPU weight (cpu.weight 1); compile servers keep the default', async () => {
    await backend.idle();
    const weights = await Promise.all(
      (await steps()).map(async (s) => ({
        name: s.name,
        weight: (await readFile(join(stepsParent, s.name, 'cpu.weight'), 'utf8')).trim(),
      })),
    );
    const sandboxes = weights.filter((w) => !w.name.includes('-compiler-'));
    assert.ok(sandboxes.length > 0, JSON.stringify(weights));
    for (const w of weights) assert.equal(w.weight, w.name.includes('-compiler-') ? '100' : '1', w.name);
  });

  it('holds a run to its CPU share (cpu.max) however many threads spin', async () => {
    const r = await t.run(
      'for (var i = 0; i < 8; i++) new Thread(() => { while (true) { } }) { IsBackground = true }.Start(); Thread.Sleep(-1);',
      { timeoutMs: 5000 },
    );
    assert.equal(r.status, 'timeout', show(r));
    assert.ok(r.cpuMs !== null && r.runMs !== null, show(r));
    // Two vCPUs: without the quota, eight spinners would use ~2 CPU-seconds per second of wall time.
    assert.ok(r.cpuMs <= r.runMs * 1.0 + 500, `cpu ${r.cpuMs} ms in ${r.runMs} ms of wall time`);
    assert.ok(r.cpuMs > r.runMs * 0.5, `cpu ${r.cpuMs} ms in ${r.runMs} ms: the spinners did run`);
    await assertNoCgroupLeft();
  });

  it('ends a socket-buffer park as memory_limit (the sock line of memory.stat), before its wall clock', async () => {
    const r = await t.run(corpus('tcp-buffers.cs'));
    assert.equal(r.status, 'memory_limit', show(r));
    assert.match(r.reason ?? '', /socket buffers reached their cap/, show(r));
    assert.ok(r.runMs !== null && r.runMs < 120_000, show(r));
    await assertNoCgroupLeft();
  });
});
