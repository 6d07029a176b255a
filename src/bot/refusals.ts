// The bot's words for every refusal: the runner's (codes with facts, src/runner/types.ts) and the bot's
// own, which never reach the runner (no code block, a file it cannot take, the bot stopping). One
// exhaustive switch, so a new code does not compile until the bot says it. Pure.
import type { Refusal } from '../runner/index.js';

/** Refusals the bot makes itself, before anything is submitted. */
export type BotRefusal =
  | { code: 'NO_CODE' }
  | { code: 'NOT_A_CS_FILE' }
  /** The /run file option: a file over the source limit, by its declared or its downloaded size. */
  | { code: 'FILE_TOO_LARGE'; size: number; limit: number }
  | { code: 'FILE_NOT_DOWNLOADED' }
  | { code: 'FILE_NOT_UTF8' }
  /** The bot itself is stopping (the runner has its own SHUTTING_DOWN, worded the same). */
  | { code: 'SHUTTING_DOWN' };

/** Words for a refusal, for the person who asked (a reply or an ephemeral answer). */
export function refusalText(refusal: Refusal | BotRefusal): string {
  switch (refusal.code) {
    case 'RATE_LIMITED':
      return `🐢 ${rateLimit(refusal)}.${retry(refusal.retryAfterMs)}`;
    case 'QUEUE_FULL':
      return `🚦 Too many runs are waiting right now.${retry(refusal.retryAfterMs) || ' Try again in a few seconds.'}`;
    case 'SOURCE_TOO_LARGE':
      return `📏 That code is too large: the code is ${refusal.size} bytes; the limit is ${refusal.limit}.`;
    case 'STDIN_TOO_LARGE':
      return `📏 That stdin is too large: stdin is ${refusal.size} bytes; the limit is ${refusal.limit}.`;
    case 'FILE_TOO_LARGE':
      return `📏 That code is too large: the file is ${refusal.size} bytes; the limit is ${refusal.limit}.`;
    case 'SOURCE_EMPTY':
      return '🤔 There is no code to run.';
    case 'NO_CODE':
      return '🤔 I found no C# code block. Put the code in a block that starts with ```cs';
    case 'INVALID_INPUT':
      return `🙅 ${invalidInput(refusal)}`;
    case 'NOT_A_CS_FILE':
      return '📄 The file must be a `.cs` file.';
    case 'FILE_NOT_DOWNLOADED':
      return '📄 I could not download that file; try again.';
    case 'FILE_NOT_UTF8':
      return '📄 That file is not UTF-8 text.';
    case 'SHUTTING_DOWN':
      return '🔧 The bot is restarting. Try again in a minute.';
    default:
      return unworded(refusal);
  }
}

function rateLimit(refusal: Extract<Refusal, { code: 'RATE_LIMITED' }>): string {
  const runs = `${refusal.limit} run${refusal.limit === 1 ? '' : 's'}`;
  switch (refusal.scope) {
    case 'global':
      return `sharpbox is running ${refusal.limit} program${refusal.limit === 1 ? '' : 's'} already`;
    case 'guild':
      return `This server can start ${runs} a minute`;
    case 'user':
      return refusal.kind === 'at-once' ? `You can have ${runs} going at once` : `You can start ${runs} a minute`;
    default:
      return unworded(refusal);
  }
}

function invalidInput(refusal: Extract<Refusal, { code: 'INVALID_INPUT' }>): string {
  switch (refusal.field) {
    case 'source':
      switch (refusal.problem) {
        case 'not-a-string':
          return 'the source must be a string';
        case 'nul-byte':
          return 'the code contains a NUL byte';
        case 'not-unicode':
          return 'the code is not valid Unicode text';
        default:
          return unworded(refusal);
      }
    case 'stdin':
      switch (refusal.problem) {
        case 'not-a-string':
          return 'stdin must be a string';
        case 'not-unicode':
          return 'stdin is not valid Unicode text';
        default:
          return unworded(refusal);
      }
    case 'timeoutMs':
      return 'timeoutMs must be a positive whole number';
    case 'optimize':
      return 'optimize must be release or debug';
    case 'langVersion':
      return 'the language version must be 1 to 20 letters, digits and dots, such as preview or 13';
    default:
      return unworded(refusal);
  }
}

function retry(retryAfterMs: number): string {
  return retryAfterMs > 0 ? ` Try again in ${Math.ceil(retryAfterMs / 1000)} s.` : '';
}

/** A case with no words here is a compile error: the argument is `never` once every case is handled. */
function unworded(what: never): never {
  throw new Error(`no words for refusal ${JSON.stringify(what)}`);
}
