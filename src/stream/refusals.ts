// How the HTTP API and the admin feed answer a refusal: the status of each code, and the JSON body with
// the plain words of src/refusalText.ts as its `message` (HTTP clients key on `error`, the code, and on
// the facts beside it; the message is for the person reading the response). Exhaustive by type: a new
// code does not compile until it has a status here. Pure.
import { refusalMessage } from '../refusalText.js';
import type { Refusal, RefusalCode } from '../runner/index.js';
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
  // The request is well-formed; this server's backend cannot do it.
  VIEW_UNAVAILABLE: 501,
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
