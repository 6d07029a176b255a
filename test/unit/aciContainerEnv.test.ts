import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import {
  assignmentEnv,
  containerEnv,
  HOST_TASKS,
  workerJob,
  type EnvVar,
} from '../../src/runner/backends/aci/containerEnv.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MiB = 1024 * 1024;
// Every limit away from its default, so a value that comes from anywhere but Config shows.
const { limits } = loadConfig({
  RUN_TIMEOUT_MS: '7000',
  COMPILE_TIMEOUT_MS: '12000',
  RUN_MEMORY_MB: '300',
  RUN_MAX_PROCESSES: '20',
  RUN_OUTPUT_MAX_BYTES: '4096',
  SANDBOX_TMPFS_MB: '8',
});
const urls = { source: 'https://s/source?sig=a', stdin: 'https://s/stdin?sig=b', result: 'https://s/result?sig=c' };
const asRecord = (env: EnvVar[]): Record<string, string> =>
  Object.fromEntries(env.map((e) => [e.name, 'value' in e ? e.value : `secure:${e.secureValue}`]));

describe('the environment a sandbox container gets (containerEnv)', () => {
  it('carries every limit from Config to a cold container, and the URLs only as secure values', () => {
    assert.deepEqual(asRecord(containerEnv(limits, { kind: 'run', timeoutMs: 6000, urls })), {
      SHARPBOX_MODE: 'oneshot',
      SHARPBOX_CONTAINER_TASKS: String(20 + HOST_TASKS),
      SHARPBOX_FILE_BYTES: String(8 * MiB),
      SHARPBOX_TIMEOUT_MS: '6000',
      SHARPBOX_COMPILE_TIMEOUT_MS: '12000',
      SHARPBOX_OUTPUT_BYTES: '4096',
      SHARPBOX_MEMORY_BYTES: String(300 * MiB),
      SHARPBOX_MAX_PROCESSES: '20',
      SHARPBOX_SOURCE_URL: 'secure:https://s/source?sig=a',
      SHARPBOX_HAS_STDIN: 'true',
      SHARPBOX_STDIN_URL: 'secure:https://s/stdin?sig=b',
      SHARPBOX_RESULT_URL: 'secure:https://s/result?sig=c',
    });
  });

  it("carries the run's compile options only when it chose them, to a cold container, an assignment and a job", () => {
    const options = { optimize: 'debug', langVersion: 'preview' } as const;
    const chosen = { SHARPBOX_OPTIMIZE: 'debug', SHARPBOX_LANG_VERSION: 'preview' };
    const cold = asRecord(containerEnv(limits, { kind: 'run', timeoutMs: 6000, urls, options }));
    assert.deepEqual(
      { SHARPBOX_OPTIMIZE: cold.SHARPBOX_OPTIMIZE, SHARPBOX_LANG_VERSION: cold.SHARPBOX_LANG_VERSION },
      chosen,
    );
    assert.deepEqual(assignmentEnv(limits, 6000, urls, options), { ...assignmentEnv(limits, 6000, urls), ...chosen });
    const ids = { runId: 'r1', nextJobUrl: 'https://s/n', cancelUrl: 'https://s/c' };
    assert.deepEqual(workerJob(limits, 6000, urls, ids, options), { ...workerJob(limits, 6000, urls, ids), ...chosen });
    const none = asRecord(containerEnv(limits, { kind: 'run', timeoutMs: 6000, urls }));
    assert.equal('SHARPBOX_OPTIMIZE' in none || 'SHARPBOX_LANG_VERSION' in none, false);
  });

  it('says when there is no stdin instead of sending a URL', () => {
    const env = asRecord(containerEnv(limits, { kind: 'run', timeoutMs: 6000, urls: { ...urls, stdin: null } }));
    assert.equal(env.SHARPBOX_HAS_STDIN, 'false');
    assert.equal(env.SHARPBOX_STDIN_URL, undefined);
  });

  it('starts a warm pool member with the container-wide limits and its wait, and assigns it the rest', () => {
    assert.deepEqual(
      asRecord(
        containerEnv(limits, { kind: 'pool-member', assignmentUrl: 'https://s/assignment?sig=d', waitMs: 60_000 }),
      ),
      {
        SHARPBOX_MODE: 'oneshot',
        SHARPBOX_CONTAINER_TASKS: String(20 + HOST_TASKS),
        SHARPBOX_FILE_BYTES: String(8 * MiB),
        SHARPBOX_ASSIGNMENT_URL: 'secure:https://s/assignment?sig=d',
        SHARPBOX_WAIT_MS: '60000',
      },
    );
    const cold = asRecord(containerEnv(limits, { kind: 'run', timeoutMs: 6000, urls }));
    const assigned = assignmentEnv(limits, 6000, urls);
    // Started with + assigned = what a cold container gets, value for value.
    const member = asRecord(containerEnv(limits, { kind: 'pool-member', assignmentUrl: 'x', waitMs: 1 }));
    assert.deepEqual(
      {
        SHARPBOX_MODE: member.SHARPBOX_MODE,
        SHARPBOX_CONTAINER_TASKS: member.SHARPBOX_CONTAINER_TASKS,
        SHARPBOX_FILE_BYTES: member.SHARPBOX_FILE_BYTES,
        ...assigned,
      },
      Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, v.replace(/^secure:/, '')])),
    );
  });

  it('sends exactly what entry.sh and OneShot.cs require, and they require it without defaults', () => {
    const entry = readFileSync(join(root, 'container', 'entry.sh'), 'utf8');
    const oneShot = readFileSync(join(root, 'container', 'host', 'OneShot.cs'), 'utf8');
    const shRequired = (/for name in ([A-Z_ ]+); do/.exec(entry)?.[1] ?? '').trim().split(/\s+/);
    const csRequired = [...oneShot.matchAll(/\b(?:Int)?Env\("(SHARPBOX_[A-Z_]+)"\)/g)].map((m) => m[1] as string);
    const sent = new Set([
      ...containerEnv(limits, { kind: 'run', timeoutMs: 6000, urls }).map((e) => e.name),
      ...containerEnv(limits, { kind: 'pool-member', assignmentUrl: 'x', waitMs: 1 }).map((e) => e.name),
    ]);
    const read = new Set([...shRequired, ...csRequired, 'SHARPBOX_ASSIGNMENT_URL']);
    assert.deepEqual(
      [...read].filter((n) => !sent.has(n)),
      [],
      'required by the container but never sent',
    );
    assert.deepEqual(
      [...sent].filter((n) => !read.has(n)),
      [],
      'sent but never required by the container',
    );
    // No shell default for a limit (`${SHARPBOX_X:-…}`) and no C# fallback (`Env("…", "…")`).
    assert.doesNotMatch(entry, /\$\{SHARPBOX_(?!HOST_DLL)[A-Z_]+:-/);
    assert.doesNotMatch(oneShot, /Env\("SHARPBOX_[A-Z_]+",/);
  });

  it('starts a worker with its mode, the container-wide limits and its first job, and each job names the next (the worker requires every field)', () => {
    assert.deepEqual(
      asRecord(
        containerEnv(limits, { kind: 'worker', jobUrl: 'https://s/job-1?sig=j', maxRuns: 20, lifetimeMs: 900_000 }),
      ),
      {
        SHARPBOX_MODE: 'worker',
        SHARPBOX_CONTAINER_TASKS: String(20 + HOST_TASKS),
        SHARPBOX_FILE_BYTES: String(8 * MiB),
        SHARPBOX_JOB_URL: 'secure:https://s/job-1?sig=j',
        SHARPBOX_MAX_RUNS: '20',
        SHARPBOX_LIFETIME_MS: '900000',
      },
    );
    const job = workerJob(limits, 6000, urls, {
      runId: 'r1',
      nextJobUrl: 'https://s/job-2?sig=n',
      cancelUrl: 'https://s/cancel?sig=c',
    });
    assert.deepEqual(job, {
      ...assignmentEnv(limits, 6000, urls),
      SHARPBOX_NEXT_JOB_URL: 'https://s/job-2?sig=n',
      SHARPBOX_CANCEL_URL: 'https://s/cancel?sig=c',
      SHARPBOX_RUN_ID: 'r1',
    });
    const jobCode = readFileSync(join(root, 'container', 'host', 'WorkerJob.cs'), 'utf8');
    const required = new Set(
      [...jobCode.matchAll(/\bs\.(?:Text|PositiveInt|Int|PositiveLong|Url|Bool)\("(SHARPBOX_[A-Z_]+)"\)/g)].map(
        (m) => m[1] as string,
      ),
    );
    assert.deepEqual(
      Object.keys(job).filter((n) => !required.has(n)),
      [],
      'sent in a job but never read by the worker',
    );
    assert.deepEqual(
      [...required].filter((n) => !(n in job)),
      [],
      'required by the worker but never sent',
    );
  });
});
