import type { Diagnostic, RunResult } from './types.js';

/** What a backend is given for one run; the runner has already validated sizes and queued it. */
export interface BackendRun {
  id: string;
  source: string;
  stdin: string;
  timeoutMs: number;
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
  /** A one-line view of the backend's own state, for the admin feed and /healthz. */
  health?(): { ok: boolean; detail: string };
}

export type { Diagnostic };
