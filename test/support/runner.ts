// Starts a real runner (real bubblewrap, real dotnet) for a test file, with its own uids claimed.
import assert from 'node:assert/strict';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import Keyv from 'keyv';
import { LocalAdmissionStore } from '../../src/runner/admission.js';
import type { SandboxBackend } from '../../src/runner/backend.js';
import { backendFromConfig } from '../../src/runner/backends/index.js';
import {
  createRunner,
  type RunEvent,
  type RunHandle,
  type Runner,
  type RunnerConfig,
  type RunnerOptions,
  type RunRequest,
  type RunResult,
} from '../../src/runner/index.js';

/** The backend under each runner made here: the runner keeps it private, and a test may look at its own state. */
const backends = new WeakMap<Runner, SandboxBackend>();

/**
 * createRunner, with the backend made here and remembered, so that backendOf() finds it. Options.backend
 * (a test's own backend) is used as it is.
 */
export async function createTestRunner(config: RunnerConfig, options: RunnerOptions = {}): Promise<Runner> {
  const log = options.log ?? createLogger(config.logLevel);
  const backend =
    options.backend ??
    (await backendFromConfig(config, log, { admissions: options.admissions ?? new LocalAdmissionStore(new Keyv()) }));
  const runner = await createRunner(config, { ...options, backend, log });
  backends.set(runner, backend);
  return runner;
}

/** The backend under a runner made by createTestRunner. */
export function backendOf(runner: Runner): SandboxBackend {
  const backend = backends.get(runner);
  assert.ok(backend, 'the runner was not made by createTestRunner');
  return backend;
}

export interface TestRunner {
  runner: Runner;
  /** The backend under it (private to the runner). */
  backend: SandboxBackend;
  config: Config;
  /** Submits and waits for the result; fails the test on a refusal. */
  run(source: string, request?: Omit<RunRequest, 'source'>): Promise<RunResult>;
  start(source: string, request?: Omit<RunRequest, 'source'>): RunHandle;
  stop(): Promise<void>;
}

export async function startTestRunner(env: Record<string, string> = {}): Promise<TestRunner> {
  // One warm compiler per test runner unless a test asks for more: several test files run at once on
  // two cores, and the pool itself is tested where it matters (warm-sandbox.test.ts).
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'error', COMPILE_SERVERS: '1', ...env });
  const runner = await createTestRunner(config, { log: createLogger('error') });
  const start = (source: string, request: Omit<RunRequest, 'source'> = {}): RunHandle => {
    const submitted = runner.submit({ source, ...request });
    assert.ok(submitted.ok, `refused: ${submitted.ok ? '' : JSON.stringify(submitted)}`);
    return submitted.handle;
  };
  return {
    runner,
    backend: backendOf(runner),
    config,
    start,
    run: (source, request) => start(source, request).result,
    stop: () => runner.stop(0),
  };
}

export async function collect(handle: RunHandle): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const e of handle.events()) events.push(e);
  return events;
}

/** A readable failure message: the whole result, so a red test says what the sandbox did. */
export function show(result: RunResult): string {
  return JSON.stringify(
    { ...result, stdout: result.stdout.slice(0, 2000), stderr: result.stderr.slice(0, 2000) },
    null,
    1,
  );
}
