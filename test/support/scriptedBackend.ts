// Backends whose runs and starts go as a test says: runs finish when told; the gated one answers the
// runner's start questions (backend.ts admitStart) from a script and can say it is startable.
import assert from 'node:assert/strict';
import type { BackendRun, SandboxBackend, StartGate } from '../../src/runner/backend.js';
import { emptyResult, type RunResult } from '../../src/runner/types.js';

/** A backend whose runs finish when the test says so; a source with "explode" fails as infrastructure. */
export class ScriptedBackend implements SandboxBackend {
  readonly name: string = 'scripted';
  readonly started: BackendRun[] = [];
  private readonly finishers = new Map<string, (r: RunResult) => void>();
  constructor(readonly capacity: number) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  execute(run: BackendRun): Promise<RunResult> {
    this.started.push(run);
    if (run.source.includes('explode')) return Promise.reject(new Error('disk on fire'));
    return new Promise((resolve) => {
      this.finishers.set(run.id, resolve);
      run.signal.addEventListener('abort', () => resolve(emptyResult('cancelled', 'cancelled')));
      run.onPhase('compiling');
      run.onPhase('running');
      run.onOutput('stdout', `${run.source}\n`);
    });
  }
  finish(index: number): void {
    const run = this.started[index];
    assert.ok(run);
    this.finishers.get(run.id)?.({
      ...emptyResult('ok', 'exited with code 0'),
      exitCode: 0,
      stdout: `${run.source}\n`,
    });
  }
}

type Answer = StartGate | Error | Promise<StartGate>;

/** A scripted backend with a start gate: each question takes the next answer (granted when none is left). */
export class GatedBackend extends ScriptedBackend {
  override readonly name = 'gated';
  /** The run ids it was asked about, in order. */
  readonly asked: string[] = [];
  readonly answers: Answer[] = [];
  readonly listeners = new Set<() => void>();

  async admitStart(runId: string): Promise<StartGate> {
    this.asked.push(runId);
    const answer = this.answers.shift() ?? { ok: true };
    if (answer instanceof Error) throw answer;
    return answer;
  }

  onStartable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Says a worker came free. */
  startable(): void {
    for (const l of this.listeners) l();
  }
}

export const refuse = (retryAfterMs: number, perRunMs: number): StartGate => ({ ok: false, retryAfterMs, perRunMs });

/** An answer the test gives later. */
export function deferred(): { answer: Promise<StartGate>; give(gate: StartGate): void } {
  let give!: (gate: StartGate) => void;
  const answer = new Promise<StartGate>((resolve) => (give = resolve));
  return { answer, give };
}
