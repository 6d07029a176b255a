import type { Diagnostic, Optimize, RunResult, ViewKind } from './types.js';

/**
 * A backend's answer to "may the next run start now?". Refused: when to ask again (`retryAfterMs`), and
 * about how long each further run waits after that (`perRunMs`), which is what queued runs are told.
 */
export type StartGate = { ok: true } | { ok: false; retryAfterMs: number; perRunMs: number };

/** What a backend is given for one run; the runner has already validated sizes and queued it. */
export interface BackendRun {
  id: string;
  source: string;
  stdin: string;
  timeoutMs: number;
  /** A view instead of a run (views.ts): the sandbox prints the listing on stdout and runs no Main. */
  view: ViewKind | null;
  /** asm: the DOTNET_JitDisasm pattern, already validated (views.ts jitPattern). */
  jitPattern: string;
  /** The run's compile options, when it chose any (validated by the runner; the host applies them). */
  optimize?: Optimize;
  langVersion?: string;
  signal: AbortSignal;
  onPhase(phase: 'compiling' | 'running'): void;
  onOutput(stream: 'stdout' | 'stderr', text: string): void;
}

/**
 * One sandbox implementation (local bubblewrap, Azure Container Instances). execute() resolves with a
 * RunResult for everything the user's code can cause, cancellation included; it rejects only when the
 * infrastructure itself failed, and the runner turns that into an internal_error result.
 */
export interface SandboxBackend {
  readonly name: string;
  /** How many runs it can execute at once. */
  readonly capacity: number;
  start(): Promise<void>;
  execute(run: BackendRun): Promise<RunResult>;
  stop(): Promise<void>;
  /**
   * For a backend whose budget is narrower than `capacity` (Azure's create quota, its workers): may the
   * run at the head of the queue start now? What it grants is used by the execute() call that follows at
   * once (same tick), whichever run that is: when the run asked for was cancelled meanwhile, the next in
   * line takes the grant; when none is left, or the runner is stopping, the grant goes unused. It rejects
   * only on an infrastructure fault, and that run then ends with internal_error.
   */
  /** `waiting`: the runs queued now, this one included (a backend that starts capacity on demand sizes it by this). */
  admitStart?(runId: string, waiting: number): Promise<StartGate>;
  /** The backend calls this when it can start runs sooner than it said (a worker came free). Returns an unsubscribe. */
  onStartable?(listener: () => void): () => void;
  /** The views it can show (views.ts); none when absent, and the runner refuses them with VIEW_UNAVAILABLE. */
  readonly views?: readonly ViewKind[];
  /** A one-line view of the backend's own state, for the admin feed and /healthz. */
  health?(): { ok: boolean; detail: string };
}

export type { Diagnostic };
