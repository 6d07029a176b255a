// How the CLI shows a run: the same lifecycle a Discord reply goes through (pending, compiling,
// running, done), as lines on stderr, with the program's own output on stdout and stderr as it comes.
import { aboutWait, statsParts, type Diagnostic, type RunResult, type RunStatus } from '../runner/index.js';

const ICON: Record<RunStatus, string> = {
  ok: '✅',
  compile_error: '🛠️',
  runtime_error: '💥',
  timeout: '⏱️',
  memory_limit: '🧠',
  output_limit: '📜',
  cancelled: '🛑',
  internal_error: '⚠️',
};

/** "⏳ pending (queue position 3, about 40 s)": where a queued run is, and its wait when the runner estimated one. */
export function queuedLine(position: number, etaMs: number | undefined): string {
  return `⏳ pending (queue position ${position}${etaMs === undefined ? '' : `, ${aboutWait(etaMs)}`})`;
}

export function statusLine(result: RunResult): string {
  return `${ICON[result.status]} ${result.status} · ${result.reason ?? ''}`.trimEnd();
}

export function statsLine(result: RunResult): string {
  return [...statsParts(result), ...(result.truncated ? ['output truncated'] : [])].join(' · ');
}

export function diagnosticLine(d: Diagnostic): string {
  const at = d.line > 0 ? `${d.line}:${d.column} ` : '';
  return `${at}${d.severity} ${d.id}: ${d.message}`;
}
