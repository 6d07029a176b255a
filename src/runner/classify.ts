// Turns the facts of one finished exec sandbox into the user-facing status. Pure, so every branch is
// unit-tested (test/unit/classify.test.ts) without a sandbox.
import { constants } from 'node:os';
import type { RunStatus } from './types.js';

export interface ExecFacts {
  // Facts the host observed itself. The program cannot forge these, and only these decide the status.
  /** Exit code of the sandbox; bwrap reports a program killed by signal N as 128 + N. */
  exitCode: number | null;
  /** The backend's launcher said it could not set the sandbox up (local: LAUNCHER_FAILED); only before start is that its word. */
  setupFailed: boolean;
  /** Signal that ended the sandbox process itself (only our own SIGKILL does that). */
  killedBy: string | null;
  timedOut: boolean;
  cancelled: boolean;
  /** stdout + stderr + notes went past the output cap, counted on the host. */
  outputExceeded: boolean;
  /** The host stopped the run when its socket buffers reached their cap. */
  socketMemoryExceeded: boolean;
  /** From the cgroup, when there is one. */
  oomKills: number;
  /** The sandbox's memory reached its cap (memory.failcnt). */
  memoryLimitHits: number;
  taskLimitHits: number;
  /** The sandbox's CPU time (cpuacct) reached RLIMIT_CPU. */
  cpuLimitHit: boolean;
  // The runner host's notes up to `start`: written before the user's assembly is loaded, so the host's.
  sawReady: boolean;
  sawStart: boolean;
  hostFault: string | null;
  // Written by the user's process or taken from its stderr: used for wording only, never for a status.
  noteExitCode: number | null;
  unhandledType: string | null;
  stderrHead: string;
}

export interface ExecLimits {
  timeoutMs: number;
  memoryBytes: number;
  /** The socket-buffer cap, where the host sets one. */
  socketBytes?: number;
  maxProcesses: number;
  outputBytes: number;
}

export interface Classified {
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  reason: string;
}

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
  const memory = `ran out of memory (${formatBytes(limits.memoryBytes)})`;
  if (f.cancelled) return { ...base, status: 'cancelled', reason: 'cancelled' };
  if (f.outputExceeded)
    return { ...base, status: 'output_limit', reason: `output limit reached (${formatBytes(limits.outputBytes)})` };
  if (f.socketMemoryExceeded) {
    const cap = limits.socketBytes ? ` (${formatBytes(limits.socketBytes)})` : '';
    return { ...base, status: 'memory_limit', reason: `ran out of memory: socket buffers reached their cap${cap}` };
  }
  if (f.timedOut) return { ...base, status: 'timeout', reason: `timed out after ${formatSeconds(limits.timeoutMs)}` };

  const code = f.exitCode;
  // A program that really exited with 134 said so (exit note) before it went; only otherwise does
  // 128 + N read as "killed by signal N". Wording only: both are runtime errors.
  const bySignal = code !== null && code > 128 && code < 128 + 65 && f.noteExitCode !== code;
  const signal = f.killedBy ?? (bySignal && code !== null ? signalName(code - 128) : null);
  const exitCode = signal ? null : code;

  if (f.oomKills > 0) return { status: 'memory_limit', exitCode, signal, reason: memory };
  if (f.setupFailed && !f.sawStart)
    return { status: 'internal_error', exitCode: null, signal: null, reason: 'the sandbox could not be set up' };
  if (!f.sawReady && code !== 0)
    return { status: 'internal_error', exitCode: null, signal: null, reason: 'the sandbox failed to start' };
  if (f.hostFault !== null)
    return { status: 'internal_error', exitCode: null, signal: null, reason: `the runner host failed: ${f.hostFault}` };
  // `start` is written before the user's assembly is even loaded: without it no user code ran.
  if (!f.sawStart && code !== 0)
    return {
      status: 'internal_error',
      exitCode: null,
      signal: null,
      reason: 'the runner host stopped before the program started',
    };
  if (code === 0) return { status: 'ok', exitCode: 0, signal: null, reason: 'exited with code 0' };
  // The cgroup saw memory at its cap and the program then died: out of memory, whatever it printed.
  if (f.memoryLimitHits > 0) return { status: 'memory_limit', exitCode, signal, reason: memory };
  if (signal === 'SIGXCPU' && f.cpuLimitHit)
    return { status: 'timeout', exitCode, signal, reason: 'CPU time limit reached' };

  // From here on the status is runtime_error; the notes and stderr only choose the words.
  const error = (reason: string): Classified => ({ status: 'runtime_error', exitCode, signal, reason });
  if (f.taskLimitHits > 0 && f.unhandledType === 'System.OutOfMemoryException') {
    return error(`could not start a thread: the limit of ${limits.maxProcesses} threads and processes was reached`);
  }
  if (f.unhandledType) return error(`unhandled exception ${f.unhandledType}`);
  if (signal === 'SIGABRT' && /^Stack overflow\./m.test(f.stderrHead)) return error('stack overflow');
  if (signal) return error(`killed by ${signal}`);
  return error(`exited with code ${code}`);
}
