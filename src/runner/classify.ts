// Turns the facts of one finished exec sandbox into the user-facing status. Pure, so every branch is
// unit-tested (test/unit/classify.test.ts) without a sandbox.
import { constants } from 'node:os';
import type { RunStatus } from './types.js';

export interface ExecFacts {
  /** Exit code of the sandbox; bwrap reports a program killed by signal N as 128 + N. */
  exitCode: number | null;
  /** Signal that ended the sandbox process itself (only our own SIGKILL does that). */
  killedBy: string | null;
  timedOut: boolean;
  cancelled: boolean;
  outputExceeded: boolean;
  /** Notes from the runner host inside the sandbox: hints, never trusted for isolation. */
  sawReady: boolean;
  sawStart: boolean;
  noteExitCode: number | null;
  unhandledType: string | null;
  stderrHead: string;
  /** From the cgroup, when there is one. */
  oomKills: number;
  taskLimitHits: number;
}

export interface ExecLimits {
  timeoutMs: number;
  memoryBytes: number;
  maxProcesses: number;
  outputBytes: number;
}

export interface Classified {
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  reason: string;
}

/** Exit code of the launcher when it could not join the cgroups (see ENTER_SCRIPT). */
export const LAUNCHER_FAILED = 125;

// First name wins, so signal 6 is SIGABRT rather than its alias SIGIOT.
const signalNames = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) if (!signalNames.has(n)) signalNames.set(n, name);

export function signalName(n: number): string {
  return signalNames.get(n) ?? `signal ${n}`;
}

export function formatBytes(n: number): string {
  const MiB = 1024 * 1024;
  if (n >= MiB) return n % MiB === 0 ? `${n / MiB} MiB` : `${(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return n % 1024 === 0 ? `${n / 1024} KiB` : `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function classifyExec(f: ExecFacts, limits: ExecLimits): Classified {
  const base = { exitCode: null, signal: null };
  if (f.cancelled) return { ...base, status: 'cancelled', reason: 'cancelled' };
  if (f.outputExceeded) return { ...base, status: 'output_limit', reason: `output limit reached (${formatBytes(limits.outputBytes)})` };
  if (f.timedOut) return { ...base, status: 'timeout', reason: `timed out after ${formatSeconds(limits.timeoutMs)}` };

  const code = f.exitCode;
  // A program that really exited with 134 told the host so (exit note) before it went; only
  // otherwise does 128 + N mean "killed by signal N".
  const bySignal = code !== null && code > 128 && code < 128 + 65 && f.noteExitCode !== code;
  const signal = f.killedBy ?? (bySignal && code !== null ? signalName(code - 128) : null);
  const exitCode = signal ? null : code;
  const memory = formatBytes(limits.memoryBytes);

  if (f.oomKills > 0) return { status: 'memory_limit', exitCode, signal, reason: `ran out of memory (${memory})` };
  if (f.unhandledType === 'System.OutOfMemoryException') {
    if (f.taskLimitHits > 0) {
      return { status: 'runtime_error', exitCode, signal, reason: `could not start a thread: the limit of ${limits.maxProcesses} threads and processes was reached` };
    }
    return { status: 'memory_limit', exitCode, signal, reason: `ran out of memory (${memory})` };
  }
  if (code === LAUNCHER_FAILED && !f.sawReady) return { status: 'internal_error', exitCode: null, signal: null, reason: 'the sandbox could not be set up' };
  if (!f.sawReady && code !== 0) return { status: 'internal_error', exitCode: null, signal: null, reason: 'the sandbox failed to start' };
  if (!f.sawStart && code !== 0) return { status: 'internal_error', exitCode: null, signal: null, reason: 'the runner host could not load the program' };
  if (signal === 'SIGXCPU') return { status: 'timeout', exitCode, signal, reason: 'CPU time limit reached' };

  if (signal) {
    if (f.unhandledType) return { status: 'runtime_error', exitCode, signal, reason: `unhandled exception ${f.unhandledType}` };
    if (signal === 'SIGABRT' && /^Stack overflow\./m.test(f.stderrHead)) return { status: 'runtime_error', exitCode, signal, reason: 'stack overflow' };
    return { status: 'runtime_error', exitCode, signal, reason: `killed by ${signal}` };
  }
  if (code === 0) return { status: 'ok', exitCode: 0, signal: null, reason: 'exited with code 0' };
  if (f.unhandledType) return { status: 'runtime_error', exitCode, signal, reason: `unhandled exception ${f.unhandledType}` };
  return { status: 'runtime_error', exitCode, signal, reason: `exited with code ${code}` };
}
