// Renders the one reply a run gets, in each of its states, as a plain Discord message payload:
// content (≤ 2000 characters), an output.txt attachment when the output had to be trimmed, buttons, and
// allowed_mentions that parse nothing. Pure: the session sends what this returns.
// From discord-api-types (what discord.js re-exports): the renderer needs two enums, not the client,
// which takes seconds to load (it matters to the mutation runs, which load this file per mutant).
import { ButtonStyle, ComponentType } from 'discord-api-types/v10';
import {
  aboutWait,
  formatBytes,
  statsParts,
  type Diagnostic,
  type RunResult,
  type RunStatus,
  viewLanguage,
  type ViewKind,
} from '../runner/index.js';
import { escapeSafeCut, sanitizeBlock, sanitizeInline } from './sanitize.js';

/** Message content, as resources/message.mdx (Create Message: "up to 2000 characters"). */
export const MAX_CONTENT = 2000;
/** A component's custom_id, as components/reference.mdx ("1-100 characters"). */
export const MAX_CUSTOM_ID = 100;
/** Discord's per-file upload limit, as reference.mdx "Uploading Files" ("The default limit is 10 MiB"). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** Output shown inline at most: head and tail lines around an "omitted" marker. */
export const MAX_LINES = 15;
const HEAD_LINES = 7;
const TAIL_LINES = 7;
export const MAX_DIAGNOSTICS = 5;

export type ReplyState =
  /** etaMs: about how long until it starts, when the runner said. */
  | { phase: 'pending'; position: number; etaMs?: number }
  | { phase: 'compiling' }
  | { phase: 'running'; elapsedMs: number; output: string }
  | { phase: 'done'; result: RunResult; output: string }
  | { phase: 'interrupted' };

export interface ButtonSpec {
  type: ComponentType.Button;
  style: ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Danger;
  label: string;
  custom_id: string;
}

export interface ButtonRow {
  type: ComponentType.ActionRow;
  components: ButtonSpec[];
}

export interface RenderedReply {
  content: string;
  files: { name: string; data: Buffer }[];
  components: ButtonRow[];
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
  const base = {
    files: [] as RenderedReply['files'],
    allowedMentions: { parse: [] as [], repliedUser: false as const },
  };
  const cancel = row([
    { type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Cancel', custom_id: buttonId('cancel', session) },
  ]);
  const after = row([
    {
      type: ComponentType.Button,
      style: ButtonStyle.Primary,
      label: 'Run again',
      custom_id: buttonId('rerun', session),
    },
    {
      type: ComponentType.Button,
      style: ButtonStyle.Secondary,
      label: 'Delete',
      custom_id: buttonId('delete', session),
    },
  ]);
  switch (state.phase) {
    case 'pending':
      return {
        ...base,
        content: `⏳ **Queued** · ${state.position <= 1 ? 'next in line' : `position ${state.position} in line`}${state.etaMs === undefined ? '' : ` · ${aboutWait(state.etaMs)}`}`,
        components: [cancel],
      };
    case 'compiling':
      return { ...base, content: '⚙️ **Compiling…**', components: [cancel] };
    case 'running': {
      const head = `▶️ **Running…** ${(state.elapsedMs / 1000).toFixed(1)} s`;
      if (state.output.length === 0) return { ...base, content: head, components: [cancel] };
      // While running, the newest output matters most: show the tail.
      const block = fitOutput(state.output, blockBudget([head]), 'tail');
      return { ...base, content: joinLines([head, codeBlock(block.text)]), components: [cancel] };
    }
    case 'interrupted':
      return {
        ...base,
        content: '⚠️ **Interrupted** · the bot restarted while this was running; nothing was lost but the run itself',
        components: [
          row([
            {
              type: ComponentType.Button,
              style: ButtonStyle.Primary,
              label: 'Run again',
              custom_id: buttonId('rerun', session),
            },
          ]),
        ],
      };
    case 'done':
      return { ...base, ...renderDone(state.result, state.output), components: [after] };
  }
}

/** A view's title, and the name of the file that carries the whole listing when it is trimmed. */
const VIEW_TITLE: Record<ViewKind, { title: string; file: string }> = {
  il: { title: 'IL', file: 'listing.il' },
  lowered: { title: 'Lowered C#', file: 'lowered.cs' },
  asm: { title: 'JIT assembly', file: 'listing.asm' },
};

function renderDone(result: RunResult, output: string): Pick<RenderedReply, 'content' | 'files'> {
  // A listing shows as a listing; a view that failed (a compile error, a static constructor's crash
  // during asm, a limit) is shown as a run that failed, in the same words.
  if (result.view && (result.status === 'ok' || result.status === 'output_limit') && output.length > 0)
    return renderListing(result, result.view, output);
  const [icon, title] = TITLE[result.status];
  const header = `${icon} **${title}** · ${sanitizeInline(result.reason ?? result.status)}`;
  const stats = statsLine(result);
  const parts = [header];
  if (stats) parts.push(`-# ${stats}`);

  if (result.status === 'compile_error') {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    const shown = errors.slice(0, MAX_DIAGNOSTICS).map(diagnosticLine);
    if (errors.length > MAX_DIAGNOSTICS) shown.push(`… and ${errors.length - MAX_DIAGNOSTICS} more`);
    if (shown.length > 0) parts.push(codeBlock(fitOutput(shown.join('\n'), blockBudget(parts), 'head').text));
    return { content: joinLines(parts), files: [] };
  }

  if (output.length === 0) {
    if (result.status !== 'cancelled') parts.push('*(no output)*');
    return { content: joinLines(parts), files: [] };
  }
  // Most outputs fit whole with no footer; only a trimmed (or truncated) one gives up room for it.
  let block = fitOutput(output, blockBudget(parts), 'both');
  if (!block.trimmed && !result.truncated) return { content: joinLines([...parts, codeBlock(block.text)]), files: [] };
  const file = outputFile(output);
  const footer = file.cut
    ? `-# output.txt has the first ${formatBytes(MAX_ATTACHMENT_BYTES)} of the output${result.truncated ? '; the run was cut at the output limit' : ''}`
    : `-# full output in output.txt${result.truncated ? ' (cut at the output limit)' : ''}`;
  block = fitOutput(output, blockBudget(parts, [footer]), 'both');
  return {
    content: joinLines([...parts, codeBlock(block.text), footer]),
    files: [{ name: 'output.txt', data: file.data }],
  };
}

/**
 * A view's listing: highlighted for its language, from its first line (where the listing begins), and
 * trimmed like program output, with the whole listing attached when trimmed.
 */
function renderListing(result: RunResult, view: ViewKind, output: string): Pick<RenderedReply, 'content' | 'files'> {
  const { title, file: name } = VIEW_TITLE[view];
  const lang = viewLanguage(view);
  const stats = statsLine(result);
  const parts = [`🔬 **${title}**${result.truncated ? ' · cut at the output limit' : ''}`];
  if (stats) parts.push(`-# ${stats}`);
  let block = fitOutput(output, blockBudget(parts, [], lang), 'head');
  if (!block.trimmed && !result.truncated)
    return { content: joinLines([...parts, codeBlock(block.text, lang)]), files: [] };
  const file = outputFile(output);
  const footer = file.cut
    ? `-# ${name} has the first ${formatBytes(MAX_ATTACHMENT_BYTES)} of the listing`
    : `-# the whole listing${result.truncated ? ' (as far as the output limit)' : ''} in ${name}`;
  block = fitOutput(output, blockBudget(parts, [footer], lang), 'head');
  return {
    content: joinLines([...parts, codeBlock(block.text, lang), footer]),
    files: [{ name, data: file.data }],
  };
}

/**
 * Characters left for the text inside a code block placed between the lines `before` and `after`:
 * MAX_CONTENT less every other piece of the message, measured, so the whole is ≤ MAX_CONTENT by
 * construction (UTF-16 code units: Discord counts code points, which is never more).
 */
function blockBudget(before: string[], after: string[] = [], lang = ''): number {
  return MAX_CONTENT - joinLines([...before, codeBlock('', lang), ...after]).length;
}

function joinLines(parts: string[]): string {
  return parts.join('\n');
}

/** The output as output.txt: its UTF-8 bytes, cut at Discord's per-file limit on a character boundary. */
function outputFile(output: string): { data: Buffer; cut: boolean } {
  const data = Buffer.from(output, 'utf8');
  if (data.length <= MAX_ATTACHMENT_BYTES) return { data, cut: false };
  let end = MAX_ATTACHMENT_BYTES;
  while (end > 0 && ((data[end] ?? 0) & 0xc0) === 0x80) end--; // back off a continuation byte
  return { data: data.subarray(0, end), cut: true };
}

export function statsLine(result: RunResult): string {
  return statsParts(result).join(' · ');
}

export function diagnosticLine(d: Diagnostic): string {
  return `${d.line > 0 ? `${d.line}:${d.column} ` : ''}${d.id} ${d.message}`;
}

function buttonId(action: keyof typeof CUSTOM_ID, session: string): string {
  const id = CUSTOM_ID[action](session);
  // Discord refuses the whole message over one long custom_id (50035), so say whose fault it is here.
  if (id.length > MAX_CUSTOM_ID)
    throw new RangeError(
      `session id '${session.slice(0, 20)}…' makes a custom_id of ${id.length} characters (Discord allows ${MAX_CUSTOM_ID})`,
    );
  return id;
}

function row(components: ButtonSpec[]): ButtonRow {
  return { type: ComponentType.ActionRow, components };
}

function codeBlock(text: string, lang = ''): string {
  return `\`\`\`${lang}\n${text}\n\`\`\``;
}

const marker = (n: number, unit: string): string => `… ${n} ${unit}${n === 1 ? '' : 's'} omitted …`;

/**
 * Fits output into `budget` UTF-16 code units and MAX_LINES lines, sanitized. 'both' keeps the head and
 * the tail around a "… N lines omitted …" marker (the tail usually holds the exception or the answer);
 * 'tail' keeps only the newest lines; 'head' only the first. Lines too long for that are cut by
 * characters instead. The result is never longer than the budget, and only the part shown is sanitized
 * (sanitizing a whole megabyte of backticks or zero-width spaces takes about a second).
 */
export function fitOutput(
  raw: string,
  budget: number,
  keep: 'both' | 'tail' | 'head',
): { text: string; trimmed: boolean } {
  const normal = raw.replace(/\r\n?/g, '\n').replace(/\n$/, '');
  const total = countLines(normal);
  let head: string[];
  let tail: string[] = [];
  if (total <= MAX_LINES) head = normal.split('\n');
  else {
    head = firstLines(normal, keep === 'tail' ? 0 : keep === 'head' ? MAX_LINES - 1 : HEAD_LINES);
    tail = lastLines(normal, keep === 'tail' ? MAX_LINES - 1 : keep === 'head' ? 0 : TAIL_LINES);
  }
  const omittedLines = total - head.length - tail.length;
  // Sanitizing can grow text (a backtick gains a zero-width space, an invisible becomes <U+…>) or shrink it
  // (terminal escapes go): lines far longer than the budget are not worth sanitizing whole.
  const keptRaw = [...head, ...tail].reduce((n, l) => n + l.length + 1, 0);
  if (keptRaw <= SEARCH_FACTOR * budget) {
    const text = joinLines([
      ...head.map(sanitizeBlock),
      ...(omittedLines > 0 ? [marker(omittedLines, 'line')] : []),
      ...tail.map(sanitizeBlock),
    ]);
    if (text.length <= budget) return { text, trimmed: omittedLines > 0 };
  }
  return cutByCharacters(normal, Math.max(0, budget), keep);
}

// A megabyte of empty lines is a million of them: find the ends without splitting it all.
function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function firstLines(text: string, n: number): string[] {
  const lines: string[] = [];
  let start = 0;
  while (lines.length < n) {
    const end = text.indexOf('\n', start);
    lines.push(text.slice(start, end < 0 ? text.length : end));
    if (end < 0) break;
    start = end + 1;
  }
  return lines;
}

function lastLines(text: string, n: number): string[] {
  const lines: string[] = [];
  let end = text.length;
  while (lines.length < n) {
    const start = text.lastIndexOf('\n', end - 1);
    lines.unshift(text.slice(start + 1, end));
    if (start < 0) break;
    end = start;
  }
  return lines;
}

/** How much longer than the room a raw slice may be and still be tried: escapes shrink when sanitized. */
const SEARCH_FACTOR = 4;

/**
 * Keeps the ends of `text` (raw) around a "… N characters omitted …" marker, sanitized, in at most `budget`
 * code units. The marker is measured with the largest count it could show, so the pieces always fit.
 */
function cutByCharacters(
  text: string,
  budget: number,
  keep: 'both' | 'tail' | 'head',
): { text: string; trimmed: boolean } {
  const pieces = keep === 'both' ? 3 : 2;
  // Code units bound code points from above, so the marker never grows past this length.
  const room = budget - marker(text.length, 'character').length - (pieces - 1);
  if (room < 0) return { text: '…'.slice(0, budget), trimmed: true };
  let first = { taken: 0, text: '' };
  let last = { taken: 0, text: '' };
  if (keep === 'head') first = fittingPrefix(text, room);
  else if (keep === 'tail') last = fittingSuffix(text, room);
  else {
    first = fittingPrefix(text, Math.floor(room / 2));
    last = fittingSuffix(text.slice(first.taken), room - first.text.length);
  }
  const omitted = codePoints(text, first.taken, text.length - last.taken);
  if (omitted === 0) {
    // Text that is mostly terminal escapes can sanitize down to almost nothing, and then the ends meet:
    // show it whole if it fits (it is at most 2 × SEARCH_FACTOR × room characters, cheap to sanitize).
    const whole = sanitizeBlock(text);
    if (whole.length <= budget) return { text: whole, trimmed: false };
  }
  return {
    text: joinLines(
      [first.text, omitted > 0 ? marker(omitted, 'character') : '', last.text].filter((p) => p.length > 0),
    ),
    trimmed: true,
  };
}

/** The longest raw prefix of `text` (whole code points) whose sanitized form fits in `room`, found by bisection. */
function fittingPrefix(text: string, room: number): { taken: number; text: string } {
  return fitting(text.length, room, (n) => {
    const end = escapeSafeCut(text, isHigh(text, n - 1) && isLow(text, n) ? n - 1 : n);
    return { taken: end, text: sanitizeBlock(text.slice(0, end)) };
  });
}

/** The same for the longest raw suffix. */
function fittingSuffix(text: string, room: number): { taken: number; text: string } {
  return fitting(text.length, room, (n) => {
    let start = text.length - n;
    if (isLow(text, start) && isHigh(text, start - 1)) start += 1;
    // Taking the whole escape costs nothing: sanitized, it is gone.
    start = escapeSafeCut(text, start);
    return { taken: text.length - start, text: sanitizeBlock(text.slice(start)) };
  });
}

function fitting(
  length: number,
  room: number,
  take: (n: number) => { taken: number; text: string },
): { taken: number; text: string } {
  let best = { taken: 0, text: '' };
  let lo = 0;
  let hi = Math.min(length, SEARCH_FACTOR * room);
  // Sanitizing is not monotonic (an escape shrinks once complete), so this finds a local best: always
  // one that fits, and in practice the longest.
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const piece = take(mid);
    if (piece.text.length <= room) {
      if (piece.taken >= best.taken) best = piece;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

const isHigh = (s: string, i: number): boolean =>
  i >= 0 && i < s.length && s.charCodeAt(i) >= 0xd800 && s.charCodeAt(i) <= 0xdbff;
const isLow = (s: string, i: number): boolean =>
  i >= 0 && i < s.length && s.charCodeAt(i) >= 0xdc00 && s.charCodeAt(i) <= 0xdfff;

/** Characters as Discord counts them (code points) in text[from, to). */
function codePoints(text: string, from: number, to: number): number {
  let n = to - from;
  for (let i = from + 1; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xdc00 && code <= 0xdfff && isHigh(text, i - 1)) n--; // the second half of a pair
  }
  return Math.max(0, n);
}
