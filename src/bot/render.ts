// Renders the one reply a run gets, in each of its states, as a plain Discord message payload:
// content (≤ 2000 characters), an output.txt attachment when the output had to be trimmed, buttons, and
// allowed_mentions that parse nothing. Pure: the session sends what this returns.
import { statsParts } from '../runner/results.js';
import type { Diagnostic, RunResult, RunStatus } from '../runner/types.js';
import { sanitizeBlock, sanitizeInline } from './sanitize.js';

export const MAX_CONTENT = 2000;
/** Output shown inline at most: head and tail lines around an "omitted" marker. */
export const MAX_LINES = 15;
const HEAD_LINES = 7;
const TAIL_LINES = 7;
export const MAX_DIAGNOSTICS = 5;

export type ReplyState =
  | { phase: 'pending'; position: number }
  | { phase: 'compiling' }
  | { phase: 'running'; elapsedMs: number; output: string }
  | { phase: 'done'; result: RunResult; output: string }
  | { phase: 'interrupted' };

export interface ButtonSpec {
  type: 2;
  style: 1 | 2 | 4;
  label: string;
  custom_id: string;
}

export interface RenderedReply {
  content: string;
  files: { name: string; data: Buffer }[];
  components: { type: 1; components: ButtonSpec[] }[];
  allowedMentions: { parse: []; repliedUser: false };
}

export const CUSTOM_ID = {
  cancel: (session: string) => `sb:cancel:${session}`,
  rerun: (session: string) => `sb:rerun:${session}`,
  delete: (session: string) => `sb:delete:${session}`,
};

const TITLE: Record<RunStatus, [string, string]> = {
  ok: ['✅', 'Finished'],
  compile_error: ['🛠️', 'Compile error'],
  runtime_error: ['💥', 'Runtime error'],
  timeout: ['⏱️', 'Timed out'],
  memory_limit: ['🧠', 'Out of memory'],
  output_limit: ['📜', 'Output limit reached'],
  cancelled: ['🛑', 'Cancelled'],
  internal_error: ['⚠️', 'Sandbox error'],
};

export function render(state: ReplyState, session: string): RenderedReply {
  const base = { files: [] as RenderedReply['files'], allowedMentions: { parse: [] as [], repliedUser: false as const } };
  const cancel = row([{ type: 2, style: 4, label: 'Cancel', custom_id: CUSTOM_ID.cancel(session) }]);
  const after = row([
    { type: 2, style: 1, label: 'Run again', custom_id: CUSTOM_ID.rerun(session) },
    { type: 2, style: 2, label: 'Delete', custom_id: CUSTOM_ID.delete(session) },
  ]);
  switch (state.phase) {
    case 'pending':
      return { ...base, content: `⏳ **Queued** · ${state.position <= 1 ? 'next in line' : `position ${state.position} in line`}`, components: [cancel] };
    case 'compiling':
      return { ...base, content: '⚙️ **Compiling…**', components: [cancel] };
    case 'running': {
      const head = `▶️ **Running…** ${(state.elapsedMs / 1000).toFixed(1)} s`;
      if (state.output.length === 0) return { ...base, content: head, components: [cancel] };
      // While running, the newest output matters most: show the tail.
      const block = fitOutput(state.output, MAX_CONTENT - head.length - 16, 'tail');
      return { ...base, content: `${head}\n${codeBlock(block.text)}`, components: [cancel] };
    }
    case 'interrupted':
      return { ...base, content: '⚠️ **Interrupted** · the bot restarted while this was running; nothing was lost but the run itself', components: [row([{ type: 2, style: 1, label: 'Run again', custom_id: CUSTOM_ID.rerun(session) }])] };
    case 'done':
      return { ...base, ...renderDone(state.result, state.output), components: [after] };
  }
}

function renderDone(result: RunResult, output: string): Pick<RenderedReply, 'content' | 'files'> {
  const [icon, title] = TITLE[result.status];
  const header = `${icon} **${title}** · ${sanitizeInline(result.reason ?? result.status)}`;
  const stats = statsLine(result);
  const parts = [header];
  if (stats) parts.push(`-# ${stats}`);
  const files: RenderedReply['files'] = [];

  if (result.status === 'compile_error') {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    const shown = errors.slice(0, MAX_DIAGNOSTICS).map(diagnosticLine);
    if (errors.length > MAX_DIAGNOSTICS) shown.push(`… and ${errors.length - MAX_DIAGNOSTICS} more`);
    if (shown.length > 0) {
      const block = fitOutput(shown.join('\n'), MAX_CONTENT - parts.join('\n').length - 16, 'head');
      parts.push(codeBlock(block.text));
    }
    return { content: parts.join('\n'), files };
  }

  const used = parts.join('\n').length + 1;
  if (output.length === 0) {
    parts.push(result.status === 'cancelled' ? '' : '*(no output)*');
  } else {
    const block = fitOutput(output, MAX_CONTENT - used - 16 - 20, 'both');
    parts.push(codeBlock(block.text));
    if (block.trimmed || result.truncated) {
      files.push({ name: 'output.txt', data: Buffer.from(output, 'utf8') });
      parts.push(`-# full output in output.txt${result.truncated ? ' (cut at the output limit)' : ''}`);
    }
  }
  return { content: parts.filter((p) => p.length > 0).join('\n'), files };
}

export function statsLine(result: RunResult): string {
  return statsParts(result).join(' · ');
}

export function diagnosticLine(d: Diagnostic): string {
  return `${d.line > 0 ? `${d.line}:${d.column} ` : ''}${d.id} ${d.message}`;
}

function row(components: ButtonSpec[]): { type: 1; components: ButtonSpec[] } {
  return { type: 1, components };
}

function codeBlock(text: string): string {
  return `\`\`\`\n${text}\n\`\`\``;
}

/**
 * Fits output into `budget` characters and MAX_LINES lines, sanitized. 'both' keeps the head and the
 * tail around a "… N lines omitted …" marker (the tail usually holds the exception or the answer);
 * 'tail' keeps only the newest lines; 'head' only the first.
 */
export function fitOutput(raw: string, budget: number, keep: 'both' | 'tail' | 'head'): { text: string; trimmed: boolean } {
  const lines = raw.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  let trimmed = false;
  let head: string[];
  let tail: string[];
  if (lines.length <= MAX_LINES) {
    head = lines;
    tail = [];
  } else {
    trimmed = true;
    head = keep === 'tail' ? [] : keep === 'head' ? lines.slice(0, MAX_LINES - 1) : lines.slice(0, HEAD_LINES);
    tail = keep === 'tail' ? lines.slice(-(MAX_LINES - 1)) : keep === 'head' ? [] : lines.slice(-TAIL_LINES);
  }
  const omittedLines = lines.length - head.length - tail.length;
  const marker = (n: number, unit: string): string => `… ${n} ${unit}${n === 1 ? '' : 's'} omitted …`;
  let text = [...head.map(sanitizeBlock), ...(omittedLines > 0 ? [marker(omittedLines, 'line')] : []), ...tail.map(sanitizeBlock)].join('\n');
  if (text.length > budget) {
    // Long lines: cut by characters too, still keeping both ends where asked.
    trimmed = true;
    const room = Math.max(0, budget - 40);
    const all = sanitizeBlock(lines.join('\n'));
    const omitted = (n: number): string => `\n${marker(n, 'character')}\n`;
    const first = (n: number): string => all.slice(0, pairSafe(all, n));
    const last = (n: number): string => all.slice(pairSafe(all, all.length - n));
    if (keep === 'head') text = `${first(room)}${omitted(all.length - room)}`;
    else if (keep === 'tail') text = `${omitted(all.length - room)}${last(room)}`;
    else {
      const half = Math.floor(room / 2);
      text = `${first(half)}${omitted(all.length - 2 * half)}${last(half)}`;
    }
    text = text.replace(/^\n|\n$/g, '');
  }
  return { text, trimmed };
}

/** Moves a cut point off the middle of a surrogate pair (an emoji must not be split in half). */
function pairSafe(s: string, at: number): number {
  const code = s.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff ? at + 1 : at;
}
