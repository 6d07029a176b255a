// The runner's public surface: submit a run, follow its events, cancel it. Runs are admitted to at most
// `capacity` concurrent backend executions; the rest wait in a FIFO queue of bounded length. A backend
// with a start gate (backend.ts) is asked before each start too, and while it refuses, the queue waits
// and is told when it should move (queueEta.ts).
import { randomUUID } from 'node:crypto';
import Keyv from 'keyv';
import type { Config, RunLimits } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { LocalAdmissionStore, type AdmissionStore } from './admission.js';
import type { SandboxBackend, StartGate } from './backend.js';
import { backendFromConfig, type BackendConfig } from './backends/index.js';
import { estimateStart, nextTypicalRunMs, worthTelling, type GateWait, type QueueNotice } from './queueEta.js';
import {
  emptyResult,
  isOptimize,
  LANG_VERSION_SHAPE,
  type InputProblem,
  type Refusal,
  type RunEvent,
  type RunRequest,
  type RunResult,
  type ViewKind,
} from './types.js';
import { isViewKind, jitPattern } from './views.js';

export type {
  CompileOptions,
  Diagnostic,
  InputProblem,
  RateLimitRule,
  Refusal,
  RefusalCode,
  RunEvent,
  RunRequest,
  RunResult,
  RunStatus,
  Optimize,
  ViewKind,
} from './types.js';
export { isOptimize, LANG_VERSION_SHAPE, OPTIMIZE_CHOICES } from './types.js';
export { VIEW_KINDS, isViewKind, viewLanguage, METHODS_MAX_CHARS } from './views.js';
// What the front ends use besides the runner itself: fair use in front of it, the shared store, and the
// pieces of wording every front end shares. They import nothing else of src/runner.
export { formatBytes } from './classify.js';
export { FairRunner, type GuildLimits, type Who } from './limits.js';
export { aboutWait, statsParts } from './results.js';
export { openStore, type Store } from './store.js';

export interface RunHandle {
  readonly id: string;
  /** Every event of the run, from the first, then live ones until done. */
  events(): AsyncIterableIterator<RunEvent>;
  /** Called for each event from now on (and not for past ones); returns an unsubscribe function. */
  on(listener: (event: RunEvent) => void): () => void;
  readonly result: Promise<RunResult>;
  /** Where the run is in the queue now (1 = next), or null once it has left the queue. */
  queuePosition(): number | null;
  /** About how long until it starts, as its last queued event said, or null (not said, or it left the queue). */
  queueEtaMs(): number | null;
  cancel(): void;
}

export type SubmitResult = { ok: true; handle: RunHandle } | Refusal;

/** Sees every run submitted and every refusal (the admin feed, metrics). */
export interface RunObserver {
  submitted?(handle: RunHandle, request: RunRequest): void;
  refused?(refusal: Refusal, request: RunRequest): void;
}

/** The backend's state in one line, for /healthz and the admin feed. */
export interface RunnerHealth {
  /** Which backend runs the code (local, aci). */
  name: string;
  ok: boolean;
  detail: string;
}

export interface Runner {
  /** Which backend runs the code (local, aci). */
  readonly backendName: string;
  health(): RunnerHealth;
  submit(request: RunRequest): SubmitResult;
  /** Runs executing and waiting; `gated`: runs wait because the backend cannot start more yet (its start gate), not for capacity. */
  stats(): { running: number; queued: number; capacity: number; gated: boolean };
  observe(observer: RunObserver): () => void;
  /** Reports a refusal made in front of the runner (fair use), so observers see every refusal. */
  reportRefusal(refusal: Refusal, request: RunRequest): void;
  /** Refuses new runs, cancels queued ones, waits for running ones (cancelling them after graceMs). */
  stop(graceMs?: number): Promise<void>;
}

export interface RunnerOptions {
  backend?: SandboxBackend;
  log?: Logger;
  /**
   * The process's admissions (its STORE_URL store), where a backend keeps budgets shared with other
   * processes (Azure's). Without it they are this process's alone, in memory (a CLI run, a test).
   */
  admissions?: AdmissionStore;
}

/** The queue's own settings; a backend has its own slice (backends/index.ts). */
export type QueueConfig = Pick<Config, 'queueMax'> & {
  limits: Pick<RunLimits, 'timeoutMs' | 'sourceBytes' | 'stdinBytes'>;
};
export type RunnerConfig = QueueConfig & BackendConfig & Pick<Config, 'logLevel'>;

export async function createRunner(config: RunnerConfig, options: RunnerOptions = {}): Promise<Runner> {
  const log = options.log ?? createLogger(config.logLevel);
  const admissions = options.admissions ?? new LocalAdmissionStore(new Keyv());
  const backend = options.backend ?? (await backendFromConfig(config, log, { admissions }));
  await backend.start();
  return new QueueRunner(config, backend, log);
}

class Run implements RunHandle {
  readonly id = randomUUID();
  readonly controller = new AbortController();
  /** Why the run was cancelled, when the runner (not the user) did it. */
  cancelReason: string | null = null;
  readonly history: RunEvent[] = [];
  private readonly listeners = new Set<(e: RunEvent) => void>();
  private resolveResult!: (r: RunResult) => void;
  readonly result: Promise<RunResult>;
  finished = false;
  /** What its last queued event told it. */
  private told: QueueNotice | null = null;

  constructor(
    readonly request: Required<Pick<RunRequest, 'source' | 'stdin'>> &
      Pick<RunRequest, 'optimize' | 'langVersion'> & {
        timeoutMs: number;
        view: ViewKind | null;
        jitPattern: string;
      },
    private readonly onCancel: (run: Run) => void,
  ) {
    this.result = new Promise((resolve) => (this.resolveResult = resolve));
  }

  emit(event: RunEvent): void {
    if (this.finished) return;
    this.history.push(event);
    if (event.type === 'done') {
      this.finished = true;
      this.resolveResult(event.result);
    }
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a listener's bug must not break the run or the other listeners
      }
    }
  }

  on(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async *events(): AsyncIterableIterator<RunEvent> {
    let index = 0;
    let wake: (() => void) | null = null;
    const off = this.on(() => wake?.());
    try {
      for (;;) {
        while (index < this.history.length) {
          const event = this.history[index++] as RunEvent;
          yield event;
          if (event.type === 'done') return;
        }
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    } finally {
      off();
    }
  }

  queuePosition(): number | null {
    const last = this.history.at(-1);
    return last?.type === 'queued' ? last.position : null;
  }

  queueEtaMs(): number | null {
    const last = this.history.at(-1);
    return last?.type === 'queued' ? (last.etaMs ?? null) : null;
  }

  /** When it was last told it should start (ms since the epoch), or null. */
  get toldStart(): number | null {
    return this.told?.startsAt ?? null;
  }

  /** Tells the run its place and when it should start, unless it was told that already (queueEta.ts). */
  queued(notice: QueueNotice, now: number): void {
    if (this.told && !worthTelling(this.told, notice)) return;
    this.told = notice;
    const { position, startsAt } = notice;
    this.emit(
      startsAt === null
        ? { type: 'queued', position }
        : { type: 'queued', position, etaMs: Math.max(0, Math.round(startsAt - now)) },
    );
  }

  cancel(): void {
    if (this.finished) return;
    this.controller.abort();
    this.onCancel(this);
  }
}

/** What the user sees when the infrastructure failed; the cause goes to our log. */
const BACKEND_FAULT = "the sandbox failed; this is our fault, not your code's";
/**
 * The gate is asked again no sooner than this (a backend that says 0 would be asked in a tight loop) and
 * no later than setTimeout can wait (a longer delay fires at once).
 */
const GATE_RETRY_MS = { min: 10, max: 2 ** 31 - 1 } as const;

class QueueRunner implements Runner {
  private readonly queue: Run[] = [];
  private running = 0;
  private stopping = false;
  private readonly inFlight = new Set<Run>();
  private readonly observers = new Set<RunObserver>();
  /** The start gate's last refusal, until it grants a start again. */
  private gate: GateWait | null = null;
  /** Asks the gate again when it said to; until then (or until the backend says it is startable) it is not asked. */
  private gateRetry: NodeJS.Timeout | null = null;
  /** A question to the gate is in flight: one at a time, so that one grant starts exactly one run; its answer pumps again. */
  private asking = false;
  /** The backend said it is startable while a question was in flight: a refusal then is asked again at once. */
  private startableMeanwhile = false;
  private readonly offStartable: (() => void) | null;
  /** About how long an execution takes, for the estimates of runs that also wait for capacity. */
  private typicalRunMs: number | null = null;

  constructor(
    private readonly config: QueueConfig,
    private readonly backend: SandboxBackend,
    private readonly log: Logger,
  ) {
    this.offStartable = backend.onStartable?.(() => this.startable()) ?? null;
  }

  get backendName(): string {
    return this.backend.name;
  }

  health(): RunnerHealth {
    return { name: this.backend.name, ...(this.backend.health?.() ?? { ok: true, detail: 'ready' }) };
  }

  observe(observer: RunObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  reportRefusal(refusal: Refusal, request: RunRequest): void {
    for (const o of this.observers) {
      try {
        o.refused?.(refusal, request);
      } catch {
        // an observer's bug must not refuse or break runs
      }
    }
  }

  submit(request: RunRequest): SubmitResult {
    const result = this.admit(request);
    if (!result.ok) this.reportRefusal(result, request);
    return result;
  }

  private admit(request: RunRequest): SubmitResult {
    const refusal = this.validate(request);
    if (refusal) return refusal;
    const { limits } = this.config;
    if (this.queue.length >= this.config.queueMax && this.running >= this.backend.capacity) {
      return {
        ok: false,
        code: 'QUEUE_FULL',
        limit: this.config.queueMax,
        retryAfterMs: Math.max(1000, limits.timeoutMs),
      };
    }
    const timeoutMs = Math.min(limits.timeoutMs, request.timeoutMs ?? limits.timeoutMs);
    const view = request.view === undefined || request.view === 'run' ? null : request.view;
    const run = new Run(
      {
        source: request.source,
        stdin: request.stdin ?? '',
        timeoutMs,
        view,
        jitPattern: jitPattern(request.methods) ?? '*',
        ...(request.optimize === undefined ? {} : { optimize: request.optimize }),
        ...(request.langVersion === undefined ? {} : { langVersion: request.langVersion }),
      },
      (r) => this.cancelled(r),
    );
    this.queue.push(run);
    const now = Date.now();
    run.queued(this.notice(run, this.queue.length, now), now);
    for (const o of this.observers) {
      try {
        o.submitted?.(run, request);
      } catch {
        // as above
      }
    }
    this.pump();
    return { ok: true, handle: run };
  }

  stats() {
    return {
      running: this.running,
      queued: this.queue.length,
      capacity: this.backend.capacity,
      gated: this.gate !== null && this.queue.length > 0,
    };
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.offStartable?.();
    if (this.gateRetry) clearTimeout(this.gateRetry);
    this.gateRetry = null;
    for (const run of this.queue.splice(0))
      run.emit({ type: 'done', result: emptyResult('cancelled', 'the service is shutting down') });
    const pending = [...this.inFlight].map((r) => r.result);
    const timer = setTimeout(() => {
      for (const run of this.inFlight) {
        run.cancelReason = 'the service is shutting down';
        run.controller.abort();
      }
    }, graceMs);
    await Promise.allSettled(pending);
    clearTimeout(timer);
    await this.backend.stop();
  }

  private validate(request: RunRequest): Refusal | null {
    const { limits } = this.config;
    const invalid = (input: InputProblem): Refusal => ({ ok: false, code: 'INVALID_INPUT', ...input });
    if (this.stopping) return { ok: false, code: 'SHUTTING_DOWN' };
    if (typeof request?.source !== 'string') return invalid({ field: 'source', problem: 'not-a-string' });
    if (request.stdin !== undefined && typeof request.stdin !== 'string')
      return invalid({ field: 'stdin', problem: 'not-a-string' });
    if (request.timeoutMs !== undefined && !(Number.isInteger(request.timeoutMs) && request.timeoutMs > 0)) {
      return invalid({ field: 'timeoutMs', problem: 'not-positive-integer' });
    }
    if (request.view !== undefined && request.view !== 'run' && !isViewKind(request.view))
      return invalid({ field: 'view', problem: 'unknown' });
    if (request.methods !== undefined) {
      if (request.view !== 'asm') return invalid({ field: 'methods', problem: 'asm-only' });
      if (jitPattern(request.methods) === null) return invalid({ field: 'methods', problem: 'not-a-pattern' });
    }
    if (isViewKind(request.view) && !(this.backend.views ?? []).includes(request.view))
      return { ok: false, code: 'VIEW_UNAVAILABLE', view: request.view, backend: this.backend.name };
    if (request.optimize !== undefined && !isOptimize(request.optimize))
      return invalid({ field: 'optimize', problem: 'not-release-or-debug' });
    // Only the shape here (it goes to the compiler and, on Azure, into a container's environment);
    // whether it is a version the compiler knows is the compiler's answer, as a diagnostic.
    if (
      request.langVersion !== undefined &&
      !(typeof request.langVersion === 'string' && LANG_VERSION_SHAPE.test(request.langVersion))
    )
      return invalid({ field: 'langVersion', problem: 'not-a-version' });
    if (request.source.trim().length === 0) return { ok: false, code: 'SOURCE_EMPTY' };
    const sourceBytes = Buffer.byteLength(request.source, 'utf8');
    if (sourceBytes > limits.sourceBytes)
      return { ok: false, code: 'SOURCE_TOO_LARGE', size: sourceBytes, limit: limits.sourceBytes };
    if (request.source.includes('\0')) return invalid({ field: 'source', problem: 'nul-byte' });
    if (hasLoneSurrogate(request.source)) return invalid({ field: 'source', problem: 'not-unicode' });
    const stdin = request.stdin ?? '';
    const stdinBytes = Buffer.byteLength(stdin, 'utf8');
    if (stdinBytes > limits.stdinBytes)
      return { ok: false, code: 'STDIN_TOO_LARGE', size: stdinBytes, limit: limits.stdinBytes };
    if (hasLoneSurrogate(stdin)) return invalid({ field: 'stdin', problem: 'not-unicode' });
    return null;
  }

  private cancelled(run: Run): void {
    const index = this.queue.indexOf(run);
    if (index >= 0) {
      this.queue.splice(index, 1);
      run.emit({ type: 'done', result: emptyResult('cancelled', 'cancelled') });
      this.announce();
    }
    // A running run ends through its AbortSignal: the backend kills the sandbox and reports cancelled.
  }

  /** Tells every queued run its place and when it should start (each only what changed). */
  private announce(): void {
    const now = Date.now();
    for (const [i, run] of this.queue.entries()) run.queued(this.notice(run, i + 1, now), now);
  }

  private notice(run: Run, position: number, now: number): QueueNotice {
    if (this.gate)
      return {
        position,
        startsAt: estimateStart(position, this.gate, {
          now,
          capacity: this.backend.capacity,
          running: this.running,
          typicalRunMs: this.typicalRunMs,
        }),
      };
    // Between two refusals of the gate (it granted one, so the queue moved up on time) a run keeps the
    // start it was told, while that is still ahead; without a gate nobody knows.
    const told = run.toldStart;
    return { position, startsAt: told !== null && told > now ? told : null };
  }

  private pump(): void {
    if (this.asking) return; // the answer pumps again
    while (!this.stopping && this.running < this.backend.capacity && this.queue.length > 0) {
      if (!this.backend.admitStart) {
        this.start(this.queue.shift() as Run);
        this.announce();
        continue;
      }
      if (!this.gateRetry) this.ask(this.queue[0] as Run);
      return;
    }
  }

  /** Asks the backend whether the run at the head may start; the answer starts it, or holds the queue. */
  private ask(head: Run): void {
    const admitStart = this.backend.admitStart?.bind(this.backend);
    if (!admitStart) return;
    this.asking = true;
    this.startableMeanwhile = false;
    new Promise<StartGate>((resolve) => resolve(admitStart(head.id, this.queue.length))).then(
      (answer) => this.answered(answer),
      (err: unknown) => this.gateFailed(head, err),
    );
  }

  private answered(answer: StartGate): void {
    this.asking = false;
    if (this.stopping) return; // the queue is cancelled; a grant goes unused
    if (answer.ok) {
      this.gate = null;
      // The grant is for the next execute(), with no await in between: whoever leads the queue now takes
      // it (the run asked for, unless it was cancelled meanwhile).
      const run = this.queue.shift();
      if (run) this.start(run);
      this.announce();
      this.pump();
      return;
    }
    this.gate = { opensAt: Date.now() + answer.retryAfterMs, perRunMs: answer.perRunMs };
    this.announce();
    if (this.startableMeanwhile) return this.pump();
    this.gateRetry = setTimeout(
      () => {
        this.gateRetry = null;
        this.pump();
      },
      Math.min(GATE_RETRY_MS.max, Math.max(GATE_RETRY_MS.min, answer.retryAfterMs)),
    );
    // The runner alone never keeps a process alive: a service has its own reasons, the CLI waits for its run.
    this.gateRetry.unref();
  }

  /** The gate itself failed (the store behind it is down): that run ends as an execute() fault does. */
  private gateFailed(head: Run, err: unknown): void {
    this.asking = false;
    if (this.stopping) return;
    this.log.error('the backend could not say whether a run may start', {
      runId: head.id,
      backend: this.backend.name,
      err: err instanceof Error ? err.message : String(err),
    });
    const index = this.queue.indexOf(head);
    if (index >= 0) {
      this.queue.splice(index, 1);
      head.emit({ type: 'done', result: emptyResult('internal_error', BACKEND_FAULT) });
      this.announce();
    }
    this.pump();
  }

  /** The backend can start runs sooner than it said. */
  private startable(): void {
    if (this.asking) {
      this.startableMeanwhile = true;
      return;
    }
    if (this.gateRetry) clearTimeout(this.gateRetry);
    this.gateRetry = null;
    this.pump();
  }

  private start(run: Run): void {
    this.running++;
    this.inFlight.add(run);
    const began = performance.now();
    void this.execute(run).finally(() => {
      this.running--;
      this.inFlight.delete(run);
      this.typicalRunMs = nextTypicalRunMs(this.typicalRunMs, performance.now() - began);
      this.pump();
    });
  }

  private async execute(run: Run): Promise<void> {
    let result: RunResult;
    try {
      result = await this.backend.execute({
        id: run.id,
        source: run.request.source,
        stdin: run.request.stdin,
        timeoutMs: run.request.timeoutMs,
        view: run.request.view,
        jitPattern: run.request.jitPattern,
        ...(run.request.optimize === undefined ? {} : { optimize: run.request.optimize }),
        ...(run.request.langVersion === undefined ? {} : { langVersion: run.request.langVersion }),
        signal: run.controller.signal,
        onPhase: (phase) => run.emit({ type: phase }),
        onOutput: (stream, text) => run.emit({ type: 'output', stream, text }),
      });
    } catch (err) {
      // Only infrastructure faults land here; the user sees a plain internal_error, we see the cause.
      this.log.error('run failed in the backend', {
        runId: run.id,
        backend: this.backend.name,
        err: err instanceof Error ? err.message : String(err),
      });
      result = emptyResult('internal_error', BACKEND_FAULT);
    }
    if (result.status === 'cancelled' && run.cancelReason) result = { ...result, reason: run.cancelReason };
    if (run.request.view) result = { ...result, view: run.request.view };
    run.emit({ type: 'done', result });
  }
}

function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
