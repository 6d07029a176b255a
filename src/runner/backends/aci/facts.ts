// The facts the container uploads (container/host/OneShot.cs), turned into a RunResult the way the local
// backend's are (hostNotes.ts).
import type { ExecLimits } from '../../classify.js';
import { parseHostNotes, resultFromExec } from '../../hostNotes.js';
import { compileErrorsResult, compileFailedResult, compileTimeoutDiagnostic } from '../../results.js';
import { emptyResult, type Diagnostic, type RunResult } from '../../types.js';
import { CONTAINER_EXIT } from './containerEnv.js';

export interface ContainerFacts {
  compile?: { ok: boolean; diagnostics: Diagnostic[]; error?: string };
  compileTimedOut?: boolean;
  compileMs: number;
  exec?: {
    exitCode: number;
    timedOut: boolean;
    outputExceeded: boolean;
    stdout: string;
    stderr: string;
    notes: string;
    wallMs: number;
  };
  /** A worker's run: the cancel blob appeared and the run was killed. */
  cancelled?: boolean;
  /** A worker's run: which of its runs this was, and whether the worker leaves after it (and why). */
  worker?: { run: number; retiring: boolean; why: string | null };
}

export function parseFacts(text: string): ContainerFacts | null {
  try {
    const v = JSON.parse(text) as ContainerFacts;
    return typeof v === 'object' && v !== null && typeof v.compileMs === 'number' ? v : null;
  } catch {
    return null;
  }
}

/**
 * The verdict on a container that uploaded no facts: ACI's memory limit kills it with 137; the host's own
 * exit codes (containerEnv.ts) say storage refused it or the image missed a setting.
 */
export function resultWithoutFacts(exitCode: number | null, memoryGb: number): RunResult {
  if (exitCode === 137) return emptyResult('memory_limit', `ran out of memory (${memoryGb * 1024} MiB container)`);
  if (exitCode === CONTAINER_EXIT.storageDenied)
    return emptyResult('internal_error', "the container's access to storage expired");
  if (exitCode === CONTAINER_EXIT.missingSetting)
    return emptyResult(
      'internal_error',
      'the sandbox image does not match this service (a setting it requires is missing)',
    );
  return emptyResult('internal_error', 'the sandbox exited without a result');
}

export function resultFromFacts(f: ContainerFacts, limits: ExecLimits & { compileTimeoutMs: number }): RunResult {
  const compileMs = Math.round(f.compileMs);
  if (f.compileTimedOut) return compileFailedResult(compileTimeoutDiagnostic(limits.compileTimeoutMs), compileMs);
  const compile = f.compile;
  if (!compile) return emptyResult('internal_error', 'the sandbox reported nothing about the compile');
  if (!compile.ok || !f.exec) return compileErrorsResult(compile.diagnostics, compileMs);
  const e = f.exec;
  return resultFromExec(
    {
      observed: {
        exitCode: e.exitCode,
        // The container has no launcher of its own between the service and the host.
        setupFailed: false,
        killedBy: null,
        timedOut: e.timedOut,
        cancelled: false,
        outputExceeded: e.outputExceeded,
        socketMemoryExceeded: false,
        // The container's own limits (a fresh VM per run) stand in for the cgroup: no counters come back.
        oomKills: 0,
        memoryLimitHits: 0,
        taskLimitHits: 0,
        cpuLimitHit: false,
      },
      notes: parseHostNotes(e.notes),
      stdout: e.stdout,
      stderr: e.stderr,
      diagnostics: compile.diagnostics,
      compileMs,
      runMs: e.wallMs,
      peakMemoryBytes: null,
      cpuMs: null,
    },
    limits,
  );
}
