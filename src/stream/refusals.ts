// How the HTTP API and the admin feed word a refusal: the status of each code, and the API's own English
// for the JSON body's `message` (HTTP clients key on `error`, the code, and on the facts beside it; the
// message is for the person reading the response). Exhaustive by type: a new code does not compile
// until it has a status and words here. Pure.
import type { Refusal, RefusalCode } from '../runner/types.js';
import type { RefusalFacts } from './protocol.js';

/** The HTTP status of each refusal. */
export const REFUSAL_STATUS: Record<RefusalCode, number> = {
  RATE_LIMITED: 429,
  QUEUE_FULL: 503,
  SHUTTING_DOWN: 503,
  SOURCE_TOO_LARGE: 413,
  STDIN_TOO_LARGE: 413,
  SOURCE_EMPTY: 400,
  INVALID_INPUT: 400,
};

export interface RefusalResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: RefusalCode; message: string; retryAfterMs: number | null } & FactsBesideCode;
}

type FactsBesideCode = RefusalFacts extends infer F ? (F extends unknown ? Omit<F, 'code'> : never) : never;

/** The whole HTTP answer to a refused run: `{ error: code, message, retryAfterMs, ...the refusal's facts }`. */
export function refusalResponse(refusal: Refusal): RefusalResponse {
  const { code, ...facts } = refusalFacts(refusal);
  const retryAfterMs = 'retryAfterMs' in refusal ? refusal.retryAfterMs : null;
  return {
    status: REFUSAL_STATUS[code],
    headers: retryAfterMs ? { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) } : {},
    body: { error: code, message: refusalMessage(refusal), retryAfterMs, ...facts },
  };
}

/** The refusal without its `ok: false`: what the feed and the API body carry. */
export function refusalFacts(refusal: Refusal): RefusalFacts {
  const { ok: _ok, ...facts } = refusal;
  return facts;
}

/** The API's English for a refusal (lower case, no full stop: it is read inside other text). */
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
      return `this server can start ${runs} a minute`;
    case 'user':
      return refusal.kind === 'at-once' ? `you can have ${runs} going at once` : `you can start ${runs} a minute`;
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
    default:
      return unworded(refusal);
  }
}

/** A case with no words here is a compile error: the argument is `never` once every case is handled. */
function unworded(what: never): never {
  throw new Error(`no words for refusal ${JSON.stringify(what)}`);
}
