// The aci backend under sustained load, against Azure's default quotas: the fair-use default of one
// guild (60 runs a minute) for 10 minutes of Azure time, in each mode (a group per run, a warm pool,
// workers). The ARM fake enforces ARM's read and write buckets, Container Instances' create and delete
// quotas (100 / 5 min, 300 / h), 100 groups and 100 cores; Azurite is real storage.
//
// How time is compressed, and why the comparison stays fair: the fake's clock runs RATE times faster
// than real time, and every time the backend is configured with (start-up allowance, pool idle time,
// worker lifetime, its polling intervals, run deadlines) is divided by RATE, so Azure's minutes and the
// backend's reactions keep their real proportions; its budget reads the fake clock (Retry-After and
// retry times come back converted to real time). Containers are simulated (armSimContainer.ts: the
// image's protocol without .NET, a 30 s start-up, 1.5 s compile + 0.5 s run of Azure time), since six
// hundred real runtimes cannot start on two cores in a minute. Every figure is in Azure time.
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { AciBackend } from '../src/runner/backends/aci/index.js';
import { createRunner, type RunResult } from '../src/runner/index.js';
import { FakeArm } from '../test/fakes/arm.js';
import { FakeClock } from '../test/fakes/clock.js';
import { simRuntime } from '../test/fakes/armSimContainer.js';
import { aciTestEnv, fakeTimeBudget, useFakeIdentity } from '../test/support/aciEnv.js';
import { blobsIn, startAzurite } from '../test/support/azurite.js';
import { percentile } from './stats.js';

/** Fake ms per real ms. */
const RATE = 10;
const MINUTE = 60_000;
const LOAD_MS = 10 * MINUTE;
/** After the last submission, how long the runs still queued or running may take to finish (Azure time). */
const DRAIN_MS = 3 * MINUTE;
const RUNS_PER_MINUTE = 60;

export type LoadMode = 'per-run' | 'warm pool' | 'workers';

export interface LoadFigures {
  mode: LoadMode;
  submitted: number;
  ok: number;
  /** Runs that ended in an error (not a refusal with a retry time). */
  failed: number;
  /** Refused at submission (queue full), each with a retry time. */
  refused: number;
  /** Still waiting when the drain time was over (cancelled then). */
  unfinished: number;
  waitP50Ms: number;
  waitP95Ms: number;
  /** Most creates and deletes in any 5-minute window, and in the whole run (≈ one hour's quota use). */
  creates5m: number;
  deletes5m: number;
  creates: number;
  deletes: number;
  armReadsPerSecond: number;
  throttled: number;
  leftGroups: number;
  leftBlobs: number;
  firstError: string | null;
}

const MODES: Record<LoadMode, Record<string, string>> = {
  'per-run': { ACI_MODE: 'per-run' },
  'warm pool': { ACI_MODE: 'per-run', ACI_WARM_POOL: '10' },
  workers: { ACI_MODE: 'workers', ACI_WORKERS: '10', ACI_WORKERS_IDLE: '2', ACI_WORKER_RUNS: '20' },
};

/** Azure time → the backend's real-time setting. */
const scaled = (fakeMs: number): string => String(Math.round(fakeMs / RATE));

export async function aciLoad(mode: LoadMode): Promise<LoadFigures> {
  const clock = new FakeClock(Date.now, RATE);
  const azurite = await startAzurite();
  const arm = await FakeArm.start({
    clock,
    runtime: simRuntime(clock, { compileMs: 1500, runMs: 500, stdout: 'Hello, World!\n' }),
  });
  arm.scenario = { startupDelayMs: 30_000, deleteDurationMs: 10_000 };
  useFakeIdentity(arm);
  // The tests' environment for the fakes, with every time Azure's default divided by RATE.
  const config = loadConfig({
    ...process.env,
    ...aciTestEnv(arm, azurite.connectionString, {
      AZURE_RESOURCE_GROUP: 'bench',
      RUN_TIMEOUT_MS: scaled(5000),
      COMPILE_TIMEOUT_MS: scaled(10_000),
      ACI_STARTUP_ALLOWANCE_MS: scaled(120_000),
      ACI_POOL_IDLE_MS: scaled(600_000),
      ACI_WORKER_LIFETIME_MS: scaled(900_000),
      ACI_WORKER_IDLE_MS: scaled(120_000),
      ACI_RESULT_POLL_MS: scaled(500),
      ACI_STATE_POLL_MS: scaled(2000),
      ACI_INSPECT_MS: scaled(5000),
      ACI_SWEEP_INTERVAL_MS: '3600000',
      ACI_SWEEP_GRACE_MS: scaled(60_000),
      SANDBOX_QUEUE_MAX: '100',
      ...MODES[mode],
    }),
  });
  // The production budget on the fake clock: its windows are Azure's; its waits come back in real time.
  const budget = fakeTimeBudget(config.aci, clock);
  const log = createLogger('silent');
  const backend = new AciBackend(config, log, undefined, budget);
  const runner = await createRunner(config, { backend, log });
  const figures: LoadFigures = {
    mode,
    submitted: 0,
    ok: 0,
    failed: 0,
    refused: 0,
    unfinished: 0,
    waitP50Ms: 0,
    waitP95Ms: 0,
    creates5m: 0,
    deletes5m: 0,
    creates: 0,
    deletes: 0,
    armReadsPerSecond: 0,
    throttled: 0,
    leftGroups: 0,
    leftBlobs: 0,
    firstError: null,
  };
  const waits: number[] = [];
  const results: Promise<RunResult>[] = [];
  try {
    if (mode !== 'per-run') await backend.poolReady(Number(scaled(5 * MINUTE)));
    const logStart = arm.log.length;
    const start = clock.now();
    for (let i = 0; clock.now() - start < LOAD_MS; i++) {
      const due = start + (i * MINUTE) / RUNS_PER_MINUTE;
      if (due > clock.now()) await sleep(clock.realMs(due - clock.now()));
      figures.submitted++;
      const submittedAt = clock.now();
      const s = runner.submit({ source: 'Console.WriteLine("Hello, World!");' });
      if (!s.ok) {
        figures.refused++;
        continue;
      }
      // Queue wait: from submission to leaving the queue (the backend starts on it).
      const off = s.handle.on((e) => {
        if (e.type !== 'queued') {
          waits.push(clock.now() - submittedAt);
          off();
        }
      });
      results.push(s.handle.result);
    }
    const drained = Promise.all(results);
    await Promise.race([drained, sleep(clock.realMs(DRAIN_MS))]);
    const loadEnd = clock.now();
    await runner.stop(0);
    for (const r of await drained) {
      if (r.status === 'ok') figures.ok++;
      else if (r.status === 'cancelled') figures.unfinished++;
      else {
        figures.failed++;
        figures.firstError ??= `${r.status}: ${r.reason ?? ''}`;
      }
    }
    await backend.cleanupsDone(60_000);
    const entries = arm.log.slice(logStart);
    const at = (method: string, status: (n: number) => boolean) =>
      entries.filter((l) => l.method === method && status(l.status)).map((l) => l.fakeAt);
    const creates = at('PUT', (n) => n === 201 || n === 200);
    const deletes = at('DELETE', (n) => n === 202 || n === 200);
    figures.creates = creates.length;
    figures.deletes = deletes.length;
    figures.creates5m = maxInWindow(creates, 5 * MINUTE);
    figures.deletes5m = maxInWindow(deletes, 5 * MINUTE);
    figures.armReadsPerSecond = entries.filter((l) => l.method === 'GET').length / ((loadEnd - start) / 1000);
    figures.throttled = entries.filter((l) => l.status === 429).length;
    figures.waitP50Ms = percentile(waits, 50);
    figures.waitP95Ms = percentile(waits, 95);
    // Wait for the fake's own deletes to finish (Deleting for 10 s of Azure time), then count what is left.
    await sleep(clock.realMs(20_000));
    figures.leftGroups = arm.groups.size;
    figures.leftBlobs = (await blobsIn(azurite.connectionString, config.aci.storage.container)).length;
    return figures;
  } finally {
    await runner.stop(0).catch(() => undefined);
    await arm.stop();
    await azurite.stop();
  }
}

/** The most timestamps in any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Prints the three modes side by side, each with its targets, through `report` (label, value). */
export async function reportAciLoad(report: (label: string, value: string) => void): Promise<LoadFigures[]> {
  const all: LoadFigures[] = [];
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  for (const mode of ['per-run', 'warm pool', 'workers'] as const) {
    const f = await aciLoad(mode);
    all.push(f);
    const tag = `(m) aci ${mode}, 60 runs/min for 10 min (Azure time)`;
    report(
      `${tag}: ok / failed / refused / unfinished`,
      `${f.ok} / ${f.failed} / ${f.refused} / ${f.unfinished} of ${f.submitted}${f.firstError ? ` (first error: ${f.firstError})` : ''}`,
    );
    report(`${tag}: queue wait p50 / p95`, `${s(f.waitP50Ms)} / ${s(f.waitP95Ms)}`);
    report(
      `${tag}: creates / deletes (most in 5 min; Azure allows 100)`,
      `${f.creates} (${f.creates5m}) / ${f.deletes} (${f.deletes5m})`,
    );
    report(`${tag}: ARM reads/s (bucket refills 25/s) / 429s`, `${f.armReadsPerSecond.toFixed(2)} / ${f.throttled}`);
    report(`${tag}: groups / blobs left`, `${f.leftGroups} / ${f.leftBlobs}`);
  }
  const workers = all[2] as LoadFigures;
  const perRun = all[0] as LoadFigures;
  report(
    'targets: aci workers, 0 failed at 60 runs/min',
    workers.failed === 0 && workers.refused === 0 ? 'met' : 'NOT met',
  );
  report(
    'targets: aci per-run, refusals only (with a retry time), never an error',
    perRun.failed === 0 ? 'met' : 'NOT met',
  );
  report(
    'targets: aci creates and deletes ≤ 100 per 5 min, no 429, in every mode',
    all.every((f) => f.creates5m <= 100 && f.deletes5m <= 100 && f.throttled === 0) ? 'met' : 'NOT met',
  );
  report(
    'targets: aci ARM reads ≤ 20/s in every mode',
    all.every((f) => f.armReadsPerSecond <= 20) ? 'met' : 'NOT met',
  );
  report(
    'targets: aci leaves no group and no blob',
    all.every((f) => f.leftGroups === 0 && f.leftBlobs === 0) ? 'met' : 'NOT met',
  );
  return all;
}
