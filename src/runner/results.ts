// Results both backends build the same way, and the stats wording both front-ends show.
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

/** compile_error with the compiler's own diagnostics. */
export function compileErrorsResult(diagnostics: Diagnostic[], compileMs: number | null): RunResult {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return { ...emptyResult('compile_error', `${errors} compile error${errors === 1 ? '' : 's'}`), diagnostics, compileMs };
}

/** "compile 6 ms · run 7 ms · peak memory 5.2 MiB": the stats every front-end shows. */
export function statsParts(result: RunResult): string[] {
  const parts: string[] = [];
  if (result.compileMs !== null) parts.push(`compile ${result.compileMs} ms`);
  if (result.runMs !== null) parts.push(`run ${result.runMs} ms`);
  if (result.peakMemoryBytes !== null) parts.push(`peak memory ${formatBytes(result.peakMemoryBytes)}`);
  return parts;
}
