// The runner's public contract: what goes in, what comes out, and the events in between.

export type RunStatus =
  | 'ok'
  | 'compile_error'
  | 'runtime_error'
  | 'timeout'
  | 'memory_limit'
  | 'output_limit'
  | 'cancelled'
  | 'internal_error';

export interface Diagnostic {
  /** Compiler id such as CS1002, or SB-prefixed for sharpbox's own (e.g. a compile that timed out). */
  id: string;
  severity: 'error' | 'warning';
  message: string;
  /** 1-based position in the user's own source; 0 when the diagnostic has no location. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface RunResult {
  status: RunStatus;
  exitCode: number | null;
  /** Name of the signal that ended the program (SIGABRT, SIGSEGV, SIGKILL…), when one did. */
  signal: string | null;
  /** One plain-words cause, e.g. "unhandled exception System.InvalidOperationException". */
  reason: string | null;
  stdout: string;
  stderr: string;
  /** True when output was cut at the output cap. */
  truncated: boolean;
  diagnostics: Diagnostic[];
  compileMs: number | null;
  runMs: number | null;
  peakMemoryBytes: number | null;
  /** CPU time of the whole sandbox (all threads and processes), when the host measures it. */
  cpuMs: number | null;
}

export interface RunRequest {
  source: string;
  stdin?: string;
  /** Lower the configured wall-clock limit for this run (never raise it). */
  timeoutMs?: number;
  /** Free-form labels carried to events (user, guild, channel…); never interpreted by the runner. */
  labels?: Readonly<Record<string, string>>;
}

export type RunEvent =
  | { type: 'queued'; position: number }
  | { type: 'compiling' }
  | { type: 'running' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'done'; result: RunResult };

export type RefusalCode = 'RATE_LIMITED' | 'QUEUE_FULL' | 'SOURCE_EMPTY' | 'SOURCE_TOO_LARGE' | 'STDIN_TOO_LARGE' | 'INVALID_INPUT' | 'SHUTTING_DOWN';

/** An expected refusal: a value with a stable code; only front-ends turn codes into words. */
export interface Refusal {
  ok: false;
  code: RefusalCode;
  message: string;
  retryAfterMs?: number;
}

export function emptyResult(status: RunStatus, reason: string | null): RunResult {
  return {
    status,
    exitCode: null,
    signal: null,
    reason,
    stdout: '',
    stderr: '',
    truncated: false,
    diagnostics: [],
    compileMs: null,
    runMs: null,
    peakMemoryBytes: null,
    cpuMs: null,
  };
}
