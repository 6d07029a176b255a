// Events are capped before they are published: one run printing a megabyte in one write, or a
// megabyte of code, must not put a megabyte into every process's memory and every dashboard. The full
// output stays in the run's own result (GET /api/runs/<id> on its process); the fleet gets the start.
import type { FeedEvent, RunSummary } from '../protocol.js';
import type { RunResult } from '../../runner/index.js';

/** One output event's text. */
export const OUTPUT_EVENT_CHARS = 16 * 1024;
/** A run's code, stdout and stderr in a summary, a record or a done event. */
export const FIELD_CHARS = 64 * 1024;
/** Output events of one run the fleet carries in all; its own process keeps the rest. */
export const RUN_OUTPUT_CHARS = 64 * 1024;
/** Diagnostics carried with a result. */
const DIAGNOSTICS_KEPT = 100;

export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n…[cut for the fleet: ${text.length - max} more characters]`;
}

export function capSummary(s: RunSummary): RunSummary {
  return s.code.length <= FIELD_CHARS ? s : { ...s, code: capText(s.code, FIELD_CHARS) };
}

export function capResult(r: RunResult): RunResult {
  if (r.stdout.length <= FIELD_CHARS && r.stderr.length <= FIELD_CHARS && r.diagnostics.length <= DIAGNOSTICS_KEPT)
    return r;
  return {
    ...r,
    stdout: capText(r.stdout, FIELD_CHARS),
    stderr: capText(r.stderr, FIELD_CHARS),
    diagnostics: r.diagnostics.slice(0, DIAGNOSTICS_KEPT),
  };
}

/** The event as the fleet may carry it. */
export function capEvent(e: FeedEvent): FeedEvent {
  switch (e.type) {
    case 'run.output':
      return e.text.length <= OUTPUT_EVENT_CHARS ? e : { ...e, text: capText(e.text, OUTPUT_EVENT_CHARS) };
    case 'run.queued':
      return { ...e, run: capSummary(e.run) };
    case 'run.done':
      return { ...e, run: capSummary(e.run), result: capResult(e.result) };
    default:
      return e;
  }
}

/**
 * How much of each run's output the fleet still carries: an output flood (a run may print its whole
 * output cap) becomes RUN_OUTPUT_CHARS in the stream and one line saying the rest stays on its process.
 */
export class OutputBudget {
  private readonly used = new Map<string, number>();

  /** The part of `text` to publish, or null to publish nothing. */
  take(id: string, text: string): string | null {
    const used = this.used.get(id) ?? 0;
    if (used >= RUN_OUTPUT_CHARS) return null;
    const room = RUN_OUTPUT_CHARS - used;
    this.used.set(id, used + text.length);
    return text.length <= room
      ? text
      : `${text.slice(0, room)}\n…[the rest of this run's output stays on its process: GET /api/runs/${id}]`;
  }

  end(id: string): void {
    this.used.delete(id);
  }
}

/** About how many characters a message holds (its big fields), for logs kept by size. */
export function approxChars(m: { type: string }): number {
  const e = m as Partial<{ text: string; run: RunSummary; result: RunResult }>;
  return (
    200 +
    (e.text?.length ?? 0) +
    (e.run?.code.length ?? 0) +
    (e.result ? e.result.stdout.length + e.result.stderr.length : 0)
  );
}
