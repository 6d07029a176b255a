// What the runner host (container/host/Executor.cs) notes about one exec, and the one way both backends
// turn an exec's facts into a RunResult: the local backend reads the notes from the sandbox's fd 4, the
// aci backend from the facts its container uploads, and from there on a run reads the same whichever
// backend ran it. Change Executor.cs and parseHostNotes together.
import { classifyExec, type ExecFacts, type ExecLimits } from './classify.js';
import { capDiagnostics } from './results.js';
import type { Diagnostic, RunResult } from './types.js';

export interface HostNotes {
  // Up to the first `start`: the host writes `start` before it loads the user's assembly, so nothing of
  // the user's code exists in the process yet. These are the host's own words.
  /** The runtime is up and the host waits for its program. */
  ready: boolean;
  /** The host reached the user's program. */
  start: boolean;
  /** The host's own failure before the program, in its words. */
  fault: string | null;
  // After `start`: the user's code shares the process and can write anything here, so these serve
  // only the wording of a result, never its status.
  /** The last exit code noted. */
  exitCode: number | null;
  /** The last unhandled exception type noted. */
  unhandledType: string | null;
}

/** Parses the notes' JSON lines, dropping anything malformed; later notes win (the user can write first). */
export function parseHostNotes(text: string): HostNotes {
  const notes: HostNotes = { ready: false, start: false, fault: null, exitCode: null, unhandledType: null };
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.length > 1024) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    if (!notes.start) {
      if (v.e === 'ready') notes.ready = true;
      else if (v.e === 'fault' && typeof v.message === 'string') notes.fault = v.message.slice(0, 500);
      else if (v.e === 'start') notes.start = true;
      continue;
    }
    if (v.e === 'exit' && Number.isInteger(v.code)) notes.exitCode = v.code as number;
    else if (v.e === 'unhandled' && typeof v.type === 'string') notes.unhandledType = v.type.slice(0, 200);
  }
  return notes;
}

/** What the backend itself saw of an exec (exit, limits hit, its own kills): everything but the notes and stderr. */
export type ObservedFacts = Omit<
  ExecFacts,
  'sawReady' | 'sawStart' | 'hostFault' | 'noteExitCode' | 'unhandledType' | 'stderrHead'
>;

/** One finished exec, as either backend gathered it. */
export interface ExecOutcome {
  observed: ObservedFacts;
  notes: HostNotes;
  stdout: string;
  stderr: string;
  /** The compiler's warnings, shown with the run's result. */
  diagnostics: Diagnostic[];
  compileMs: number;
  runMs: number;
  peakMemoryBytes: number | null;
  cpuMs: number | null;
}

export function resultFromExec(o: ExecOutcome, limits: ExecLimits): RunResult {
  const { notes } = o;
  const verdict = classifyExec(
    {
      ...o.observed,
      // The host's word before start, wording after (see HostNotes).
      sawReady: notes.ready,
      sawStart: notes.start,
      hostFault: notes.fault,
      noteExitCode: notes.exitCode,
      unhandledType: notes.unhandledType,
      stderrHead: o.stderr.slice(0, 4096),
    },
    limits,
  );
  return {
    ...verdict,
    stdout: o.stdout,
    // An internal error is ours: what the program printed does not explain it and is not shown as if it did.
    stderr: verdict.status === 'internal_error' ? '' : o.stderr,
    truncated: o.observed.outputExceeded,
    diagnostics: capDiagnostics(o.diagnostics),
    compileMs: o.compileMs,
    runMs: Math.round(o.runMs),
    peakMemoryBytes: o.peakMemoryBytes,
    cpuMs: o.cpuMs,
  };
}
