// Makes text that came from a program (or from a user) safe to show in a Discord message: it can never
// close the code block it sits in, never ping anyone, never reorder the text around it, never carry
// terminal escapes. Pure.

const ZWSP = '\u200B';

/** Bidi controls (LRE…RLO, LRI…PDI, LRM/RLM/ALM) and other invisible formatting characters. */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u061C\uFEFF]/g;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g;
/** Half of a surrogate pair with no other half: not text, and Discord may strip it (resources/message.mdx). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** For text inside a code block: the attachment keeps the original bytes. */
export function sanitizeBlock(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      .replace(ANSI, '')
      .replace(LONE_SURROGATE, '\uFFFD')
      // Control characters become their visible pictures (U+2400…), so nothing is silently hidden.
      .replace(CONTROL, (c) => (c === '\u007F' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))))
      .replace(INVISIBLE, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`)
      // No two backticks stay adjacent, so no run of three can close the block.
      .replace(/`/g, `\`${ZWSP}`)
  );
}

/** For short user-influenced text outside code blocks (exception type names, file names). */
export function sanitizeInline(text: string, max = 200): string {
  const clean = sanitizeBlock(text).replace(/\n/g, ' ');
  const cut = clean.length > max ? `${clean.slice(0, pairSafeEnd(clean, max - 1))}…` : clean;
  // Markdown and mention syntax lose their meaning.
  return cut.replace(/([\\*_~|>#[\]()<@`])/g, '\\$1');
}

/**
 * Where a cut at `at` belongs so that it splits no terminal escape: the start of the escape it would
 * split (looking back at most 256 characters), or `at`. Half an escape is not removed as a whole one is:
 * its ESC would show as ␛ and the rest as text.
 */
export function escapeSafeCut(text: string, at: number): number {
  const from = Math.max(0, at - 256);
  const back = text.slice(from, at).lastIndexOf('\u001B');
  if (back < 0) return at;
  const escape = new RegExp(ANSI.source, 'y');
  escape.lastIndex = from + back;
  const m = escape.exec(text);
  return m && from + back + m[0].length > at ? from + back : at;
}

/** `end`, or one less when cutting there would split a surrogate pair (an emoji must not lose its half). */
function pairSafeEnd(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}
