// Plain words for a refusal, for the front ends that show text inside other text: the HTTP API's
// `message`, the admin feed and the CLI (after "sharpbox: "). Lower case, no full stop. The bot has its
// own sentences (src/bot/refusals.ts), built on this file's words for the runner's limits and input.
// Exhaustive by type: a new code does not compile until it has words here. Pure.
import { METHODS_MAX_CHARS, VIEW_KINDS, type Refusal } from './runner/index.js';

/** The plain words for a refusal. */
export function refusalMessage(refusal: Refusal): string {
  switch (refusal.code) {
    case 'RATE_LIMITED':
      return rateLimit(refusal);
    case 'QUEUE_FULL':
      return `the queue is full (${refusal.limit} runs waiting)`;
    case 'SOURCE_EMPTY':
      return 'there is no code to run';
    case 'SOURCE_TOO_LARGE':
      return `the code is ${refusal.size} bytes; the limit is ${refusal.limit}`;
    case 'STDIN_TOO_LARGE':
      return `stdin is ${refusal.size} bytes; the limit is ${refusal.limit}`;
    case 'INVALID_INPUT':
      return invalidInput(refusal);
    case 'SHUTTING_DOWN':
      return 'the service is shutting down';
    case 'VIEW_UNAVAILABLE':
      return `the ${refusal.backend} backend cannot show the ${refusal.view} view`;
    default:
      return unworded(refusal);
  }
}

/** Which fair-use limit refused, in words (lower case; the bot capitalises). */
export function rateLimit(refusal: Extract<Refusal, { code: 'RATE_LIMITED' }>): string {
  const runs = `${refusal.limit} run${refusal.limit === 1 ? '' : 's'}`;
  switch (refusal.scope) {
    case 'global':
      return `sharpbox is running ${refusal.limit} program${refusal.limit === 1 ? '' : 's'} already`;
    case 'guild':
      return `this server can start ${runs} a minute`;
    case 'user':
      return refusal.kind === 'at-once' ? `you can have ${runs} going at once` : `you can start ${runs} a minute`;
    default:
      return unworded(refusal);
  }
}

/** What is wrong with the request, in words (lower case). */
export function invalidInput(refusal: Extract<Refusal, { code: 'INVALID_INPUT' }>): string {
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
    case 'view':
      return `the view must be one of run, ${VIEW_KINDS.join(', ')}`;
    case 'methods':
      switch (refusal.problem) {
        case 'asm-only':
          return 'methods can only be given with the asm view';
        case 'not-a-pattern':
          return `methods must be up to ${METHODS_MAX_CHARS} characters: method names such as Fib or Program:Fib (letters, digits, _ . + < > $ and * as a wildcard), separated by spaces or commas`;
        default:
          return unworded(refusal);
      }
    case 'optimize':
      return 'optimize must be release or debug';
    case 'langVersion':
      return 'the language version must be 1 to 20 letters, digits and dots, such as preview or 13';
    default:
      return unworded(refusal);
  }
}

/** A case with no words here is a compile error: the argument is `never` once every case is handled. */
function unworded(what: never): never {
  throw new Error(`no words for refusal ${JSON.stringify(what)}`);
}
