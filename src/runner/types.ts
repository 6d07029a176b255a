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
  /**
   * Set when the request asked for a view (src/runner/views.ts): stdout is then the listing (IL, lowered
   * C#, JIT assembly), capped and `truncated` like program output, and no Main ran.
   */
  view?: ViewKind;
}

/** The views of what the compiler made, instead of running the program (src/runner/views.ts). */
export type ViewKind = 'il' | 'asm' | 'lowered';

export interface RunRequest {
  source: string;
  stdin?: string;
  /** Lower the configured wall-clock limit for this run (never raise it). */
  timeoutMs?: number;
  /** Compile as Release (the default) or Debug (no optimisations, DEBUG defined); a `#:property Optimize` in the source wins. */
  optimize?: Optimize;
  /** The C# language version (`preview`, `13`, `latest`…); a `#:property LangVersion` in the source wins. */
  langVersion?: string;
  /** Free-form labels carried to events (user, guild, channel…); never interpreted by the runner. */
  labels?: Readonly<Record<string, string>>;
  /** Run the program (the default), or show what the compiler made of it instead (views.ts). */
  view?: 'run' | ViewKind;
  /** asm only: which methods, as JIT method patterns (views.ts); all of the program's own by default. */
  methods?: string;
}

export const OPTIMIZE_CHOICES = ['release', 'debug'] as const;
export type Optimize = (typeof OPTIMIZE_CHOICES)[number];

export function isOptimize(value: unknown): value is Optimize {
  return (OPTIMIZE_CHOICES as readonly unknown[]).includes(value);
}

/** The shape a language version may have before the compiler is asked (`preview`, `7.3`, `latestmajor`). */
export const LANG_VERSION_SHAPE = /^[A-Za-z0-9.]{1,20}$/;

/** What a run may choose about its compile; the host reads it (container/host/CompileSettings.cs). */
export type CompileOptions = Pick<RunRequest, 'optimize' | 'langVersion'>;

export type RunEvent =
  /**
   * Waiting to start: `position` 1 is next. `etaMs`, given when the backend said when runs may start
   * (Azure's create quota), is about how long from now until this one starts.
   */
  | { type: 'queued'; position: number; etaMs?: number }
  | { type: 'compiling' }
  | { type: 'running' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'done'; result: RunResult };

/** Which fair-use limit refused a run (src/runner/limits.ts): whose runs it counts, and how. */
export type RateLimitRule =
  | { scope: 'user'; kind: 'per-minute' | 'at-once' }
  | { scope: 'guild'; kind: 'per-minute' }
  | { scope: 'global'; kind: 'at-once' };

/** What is wrong with a request that is not even the shape of a run. */
export type InputProblem =
  | { field: 'source'; problem: 'not-a-string' | 'nul-byte' | 'not-unicode' }
  | { field: 'stdin'; problem: 'not-a-string' | 'not-unicode' }
  | { field: 'timeoutMs'; problem: 'not-positive-integer' }
  | { field: 'view'; problem: 'unknown' }
  /** `methods` is not a list of method patterns (views.ts), or was given with a view other than asm. */
  | { field: 'methods'; problem: 'not-a-pattern' | 'asm-only' }
  | { field: 'optimize'; problem: 'not-release-or-debug' }
  /** Not a string of 1–20 letters, digits and dots: the compiler decides whether it is a version it knows. */
  | { field: 'langVersion'; problem: 'not-a-version' };

/**
 * An expected refusal: a value with a stable code and the facts its wording needs, and no words. Each
 * front end (src/bot, src/stream, src/cli) words every code with an exhaustive switch, so a new member
 * here does not compile until each of them says it.
 */
export type Refusal =
  | ({ ok: false; code: 'RATE_LIMITED'; limit: number; retryAfterMs: number } & RateLimitRule)
  /** The runner's queue holds `limit` runs already. */
  | { ok: false; code: 'QUEUE_FULL'; limit: number; retryAfterMs: number }
  | { ok: false; code: 'SOURCE_EMPTY' }
  /** UTF-8 bytes, against the configured limit. */
  | { ok: false; code: 'SOURCE_TOO_LARGE' | 'STDIN_TOO_LARGE'; size: number; limit: number }
  | ({ ok: false; code: 'INVALID_INPUT' } & InputProblem)
  /** The backend cannot show this view (`backend` is its name: the aci backend shows none). */
  | { ok: false; code: 'VIEW_UNAVAILABLE'; view: ViewKind; backend: string }
  | { ok: false; code: 'SHUTTING_DOWN' };

/** The stable codes (HTTP clients see them as `error`). */
export type RefusalCode = Refusal['code'];

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
