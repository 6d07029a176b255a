// The runner's public surface: submit a run, follow its events, cancel it. Runs are admitted to at most
// `capacity` concurrent backend executions; the rest wait in a FIFO queue of bounded length.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import type { SandboxBackend } from './backend.js';
import { backendFromConfig } from './backends/index.js';
import { emptyResult, type InputProblem, type Refusal, type RunEvent, type RunRequest, type RunResult } from './types.js';

export type { Diagnostic, InputProblem, RateLimitRule, Refusal, RefusalCode, RunEvent, RunRequest, RunResult, RunStatus } from './types.js';

export interface RunHandle {
  readonly id: string;
  /** Every event of the run, from the first, then live ones until done. */
  events(): AsyncIterableIterator<RunEvent>;
  /** Called for each event from now on (and not for past ones); returns an unsubscribe function. */
  on(listener: (event: RunEvent) => void): () => void;
  readonly result: Promise<RunResult>;
  /** Where the run is in the queue now (1 = next), or null once it has left the queue. */
  queuePosition(): number | null;
  cancel(): void;
}

export type SubmitResult = { ok: true; handle: RunHandle } | Refusal;

/** Sees every run submitted and every refusal (the admin feed, metrics). */
export interface RunObserver {
  submitted?(handle: RunHandle, request: RunRequest): void;
  refused?(refusal: Refusal, request: RunRequest): void;
}

export interface Runner {
  readonly backend: SandboxBackend;
  submit(request: RunRequest): SubmitResult;
  /** Runs executing and waiting. */
  stats(): { running: number; queued: number; capacity: number };
  observe(observer: RunObserver): () => void;
  /** Reports a refusal made in front of the runner (fair use), so observers see every refusal. */
  reportRefusal(refusal: Refusal, request: RunRequest): void;
  /** Refuses new runs, cancels queued ones, waits for running ones (cancelling them after graceMs). */
  stop(graceMs?: number): Promise<void>;
}

export interface RunnerOptions {
  backend?: SandboxBackend;
  log?: Logger;
}

export async function createRunner(config: Config, options: RunnerOptions = {}): Promise<Runner> {
  const log = options.log ?? createLogger(config.logLevel);
  const backend = options.backend ?? (await backendFromConfig(config, log));
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

  constructor(
    readonly request: Required<Pick<RunRequest, 'source' | 'stdin'>> & { timeoutMs: number },
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

  cancel(): void {
    if (this.finished) return;
    this.controller.abort();
    this.onCancel(this);
  }
}

class QueueRunner implements Runner {
  private readonly queue: Run[] = [];
  private running = 0;
  private stopping = false;
  private readonly inFlight = new Set<Run>();
  private readonly observers = new Set<RunObserver>();

  constructor(
    private readonly config: Config,
    readonly backend: SandboxBackend,
    private readonly log: Logger,
  ) {}

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
      return { ok: false, code: 'QUEUE_FULL', limit: this.config.queueMax, retryAfterMs: Math.max(1000, limits.timeoutMs) };
    }
    const timeoutMs = Math.min(limits.timeoutMs, request.timeoutMs ?? limits.timeoutMs);
    const run = new Run({ source: request.source, stdin: request.stdin ?? '', timeoutMs }, (r) => this.cancelled(r));
    this.queue.push(run);
    run.emit({ type: 'queued', position: this.queue.length });
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
    return { running: this.running, queued: this.queue.length, capacity: this.backend.capacity };
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const run of this.queue.splice(0)) run.emit({ type: 'done', result: emptyResult('cancelled', 'the service is shutting down') });
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
    if (request.stdin !== undefined && typeof request.stdin !== 'string') return invalid({ field: 'stdin', problem: 'not-a-string' });
    if (request.timeoutMs !== undefined && !(Number.isInteger(request.timeoutMs) && request.timeoutMs > 0)) {
      return invalid({ field: 'timeoutMs', problem: 'not-positive-integer' });
    }
    if (request.source.trim().length === 0) return { ok: false, code: 'SOURCE_EMPTY' };
    const sourceBytes = Buffer.byteLength(request.source, 'utf8');
    if (sourceBytes > limits.sourceBytes) return { ok: false, code: 'SOURCE_TOO_LARGE', size: sourceBytes, limit: limits.sourceBytes };
    if (request.source.includes('\0')) return invalid({ field: 'source', problem: 'nul-byte' });
    if (hasLoneSurrogate(request.source)) return invalid({ field: 'source', problem: 'not-unicode' });
    const stdin = request.stdin ?? '';
    const stdinBytes = Buffer.byteLength(stdin, 'utf8');
    if (stdinBytes > limits.stdinBytes) return { ok: false, code: 'STDIN_TOO_LARGE', size: stdinBytes, limit: limits.stdinBytes };
    if (hasLoneSurrogate(stdin)) return invalid({ field: 'stdin', problem: 'not-unicode' });
    return null;
  }

  private cancelled(run: Run): void {
    const index = this.queue.indexOf(run);
    if (index >= 0) {
      this.queue.splice(index, 1);
      run.emit({ type: 'done', result: emptyResult('cancelled', 'cancelled') });
      this.announcePositions(index);
    }
    // A running run ends through its AbortSignal: the backend kills the sandbox and reports cancelled.
  }

  private announcePositions(from: number): void {
    for (let i = from; i < this.queue.length; i++) this.queue[i]?.emit({ type: 'queued', position: i + 1 });
  }

  private pump(): void {
    while (this.running < this.backend.capacity && this.queue.length > 0) {
      const run = this.queue.shift() as Run;
      this.announcePositions(0);
      this.running++;
      this.inFlight.add(run);
      void this.execute(run).finally(() => {
        this.running--;
        this.inFlight.delete(run);
        this.pump();
      });
    }
  }

  private async execute(run: Run): Promise<void> {
    let result: RunResult;
    try {
      result = await this.backend.execute({
        id: run.id,
        source: run.request.source,
        stdin: run.request.stdin,
        timeoutMs: run.request.timeoutMs,
        signal: run.controller.signal,
        onPhase: (phase) => run.emit({ type: phase }),
        onOutput: (stream, text) => run.emit({ type: 'output', stream, text }),
      });
    } catch (err) {
      // Only infrastructure faults land here; the user sees a plain internal_error, we see the cause.
      this.log.error('run failed in the backend', { runId: run.id, backend: this.backend.name, err: err instanceof Error ? err.message : String(err) });
      result = emptyResult('internal_error', 'the sandbox failed; this is our fault, not your code\'s');
    }
    if (result.status === 'cancelled' && run.cancelReason) result = { ...result, reason: run.cancelReason };
    run.emit({ type: 'done', result });
  }
}

function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
