// Results both backends build the same way, and the stats and wait wording both front-ends show.
import { formatBytes, formatSeconds } from './classify.js';
import { emptyResult, type Diagnostic, type RunResult } from './types.js';

/** A diagnostic of sharpbox's own (SB…), about the compile as a whole rather than a place in the code. */
export function sharpboxDiagnostic(id: string, message: string): Diagnostic {
  return { id, severity: 'error', message, line: 0, column: 0, endLine: 0, endColumn: 0 };
}

export function compileTimeoutDiagnostic(timeoutMs: number): Diagnostic {
  return sharpboxDiagnostic('SB0001', `compilation took longer than ${formatSeconds(timeoutMs)}`);
}

/** compile_error for a compile that failed as a whole (timed out, ran out of memory, crashed). */
export function compileFailedResult(diagnostic: Diagnostic, compileMs: number | null): RunResult {
  return { ...emptyResult('compile_error', diagnostic.message), diagnostics: [diagnostic], compileMs };
}

/** Diagnostics a result carries at most, and the characters of one message and of all of them. */
export const DIAGNOSTICS_CAP = { count: 100, messageChars: 1000, totalChars: 64_000 } as const;

/**
 * Bounds the compiler's diagnostics, whatever the compiler sent: a 777-byte source once produced three
 * 14.7-million-character messages (44 MB per result, kept by the hub and sent to every front end). The
 * runner host caps them too (container/host/Compiler.cs); this is the service's own guard, and what it
 * drops is said in one SB0006 diagnostic.
 */
export function capDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const kept: Diagnostic[] = [];
  let chars = 0;
  let dropped = 0;
  let droppedErrors = false;
  for (const d of diagnostics) {
    if (kept.length >= DIAGNOSTICS_CAP.count || chars >= DIAGNOSTICS_CAP.totalChars) {
      dropped++;
      droppedErrors ||= d.severity === 'error';
      continue;
    }
    const message =
      d.message.length > DIAGNOSTICS_CAP.messageChars
        ? `${cutUtf16(d.message, DIAGNOSTICS_CAP.messageChars - 1)}…`
        : d.message;
    chars += message.length;
    kept.push({ ...d, id: d.id.slice(0, 32), message });
  }
  if (dropped > 0)
    kept.push({
      ...sharpboxDiagnostic('SB0006', `${dropped} more diagnostic${dropped === 1 ? '' : 's'} not shown`),
      severity: droppedErrors ? 'error' : 'warning',
    });
  return kept;
}

/** The first `n` UTF-16 units of s, one fewer if that would split a surrogate pair. */
function cutUtf16(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

/** compile_error with the compiler's own diagnostics. */
export function compileErrorsResult(all: Diagnostic[], compileMs: number | null): RunResult {
  // SB0006 (diagnostics not shown) is a note of the cap, not one more error.
  const errors = all.filter((d) => d.severity === 'error' && d.id !== 'SB0006').length;
  const diagnostics = capDiagnostics(all);
  return {
    ...emptyResult('compile_error', `${errors} compile error${errors === 1 ? '' : 's'}`),
    diagnostics,
    compileMs,
  };
}

/** "compile 6 ms · run 7 ms · peak memory 5.2 MiB": the stats every front-end shows. */
export function statsParts(result: RunResult): string[] {
  const parts: string[] = [];
  if (result.compileMs !== null) parts.push(`compile ${result.compileMs} ms`);
  if (result.runMs !== null) parts.push(`run ${result.runMs} ms`);
  if (result.peakMemoryBytes !== null) parts.push(`peak memory ${formatBytes(result.peakMemoryBytes)}`);
  return parts;
}

/** A queued run's estimated wait (RunEvent `queued`'s etaMs), in round words: "about 40 s", "about 3 min". */
export function aboutWait(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds < 90 ? `about ${seconds} s` : `about ${Math.round(seconds / 60)} min`;
}
