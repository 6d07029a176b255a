// Every refusal, worded by every front end: the bot's replies, the HTTP API's status and body (and the
// feed's message, which is the API's), the CLI's line. The runner gives codes and facts only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusalText, type BotRefusal } from '../../src/bot/refusals.js';
import { refusalMessage } from '../../src/refusalText.js';
import type { Refusal, RefusalCode } from '../../src/runner/types.js';
import { REFUSAL_STATUS, refusalFacts, refusalResponse } from '../../src/stream/refusals.js';

/** Every code, listed so that a new one fails to compile here until the table below has a case for it. */
const EVERY_CODE: Record<RefusalCode, true> = {
  RATE_LIMITED: true,
  QUEUE_FULL: true,
  SOURCE_EMPTY: true,
  SOURCE_TOO_LARGE: true,
  STDIN_TOO_LARGE: true,
  INVALID_INPUT: true,
  SHUTTING_DOWN: true,
  VIEW_UNAVAILABLE: true,
};

interface Case {
  refusal: Refusal;
  bot: string;
  status: number;
  http: string;
  cli: string;
}

const CASES: Case[] = [
  {
    refusal: { ok: false, code: 'RATE_LIMITED', scope: 'user', kind: 'per-minute', limit: 1, retryAfterMs: 12_300 },
    bot: '🐢 You can start 1 run a minute. Try again in 13 s.',
    status: 429,
    http: 'you can start 1 run a minute',
    cli: 'you can start 1 run a minute',
  },
  {
    refusal: { ok: false, code: 'RATE_LIMITED', scope: 'user', kind: 'per-minute', limit: 10, retryAfterMs: 59_001 },
    bot: '🐢 You can start 10 runs a minute. Try again in 60 s.',
    status: 429,
    http: 'you can start 10 runs a minute',
    cli: 'you can start 10 runs a minute',
  },
  {
    refusal: { ok: false, code: 'RATE_LIMITED', scope: 'user', kind: 'at-once', limit: 2, retryAfterMs: 1000 },
    bot: '🐢 You can have 2 runs going at once. Try again in 1 s.',
    status: 429,
    http: 'you can have 2 runs going at once',
    cli: 'you can have 2 runs going at once',
  },
  {
    refusal: { ok: false, code: 'RATE_LIMITED', scope: 'guild', kind: 'per-minute', limit: 5, retryAfterMs: 30_000 },
    bot: '🐢 This server can start 5 runs a minute. Try again in 30 s.',
    status: 429,
    http: 'this server can start 5 runs a minute',
    cli: 'this server can start 5 runs a minute',
  },
  {
    refusal: { ok: false, code: 'RATE_LIMITED', scope: 'global', kind: 'at-once', limit: 10, retryAfterMs: 2000 },
    bot: '🐢 sharpbox is running 10 programs already. Try again in 2 s.',
    status: 429,
    http: 'sharpbox is running 10 programs already',
    cli: 'sharpbox is running 10 programs already',
  },
  {
    refusal: { ok: false, code: 'RATE_LIMITED', scope: 'global', kind: 'at-once', limit: 1, retryAfterMs: 2000 },
    bot: '🐢 sharpbox is running 1 program already. Try again in 2 s.',
    status: 429,
    http: 'sharpbox is running 1 program already',
    cli: 'sharpbox is running 1 program already',
  },
  {
    refusal: { ok: false, code: 'QUEUE_FULL', limit: 100, retryAfterMs: 5000 },
    bot: '🚦 Too many runs are waiting right now. Try again in 5 s.',
    status: 503,
    http: 'the queue is full (100 runs waiting)',
    cli: 'the queue is full (100 runs waiting)',
  },
  {
    refusal: { ok: false, code: 'QUEUE_FULL', limit: 100, retryAfterMs: 0 },
    bot: '🚦 Too many runs are waiting right now. Try again in a few seconds.',
    status: 503,
    http: 'the queue is full (100 runs waiting)',
    cli: 'the queue is full (100 runs waiting)',
  },
  {
    refusal: { ok: false, code: 'SOURCE_EMPTY' },
    bot: '🤔 There is no code to run.',
    status: 400,
    http: 'there is no code to run',
    cli: 'there is no code to run',
  },
  {
    refusal: { ok: false, code: 'SOURCE_TOO_LARGE', size: 70_003, limit: 65_536 },
    bot: '📏 That code is too large: the code is 70003 bytes; the limit is 65536.',
    status: 413,
    http: 'the code is 70003 bytes; the limit is 65536',
    cli: 'the code is 70003 bytes; the limit is 65536',
  },
  {
    refusal: { ok: false, code: 'STDIN_TOO_LARGE', size: 2000, limit: 1024 },
    bot: '📏 That stdin is too large: stdin is 2000 bytes; the limit is 1024.',
    status: 413,
    http: 'stdin is 2000 bytes; the limit is 1024',
    cli: 'stdin is 2000 bytes; the limit is 1024',
  },
  ...(
    [
      [{ field: 'source', problem: 'not-a-string' }, 'the source must be a string'],
      [{ field: 'source', problem: 'nul-byte' }, 'the code contains a NUL byte'],
      [{ field: 'source', problem: 'not-unicode' }, 'the code is not valid Unicode text'],
      [{ field: 'stdin', problem: 'not-a-string' }, 'stdin must be a string'],
      [{ field: 'stdin', problem: 'not-unicode' }, 'stdin is not valid Unicode text'],
      [{ field: 'timeoutMs', problem: 'not-positive-integer' }, 'timeoutMs must be a positive whole number'],
      [{ field: 'view', problem: 'unknown' }, 'the view must be one of run, il, asm, lowered'],
      [{ field: 'methods', problem: 'asm-only' }, 'methods can only be given with the asm view'],
      [
        { field: 'methods', problem: 'not-a-pattern' },
        'methods must be up to 200 characters: method names such as Fib or Program:Fib (letters, digits, _ . + < > $ and * as a wildcard), separated by spaces or commas',
      ],
      [{ field: 'optimize', problem: 'not-release-or-debug' }, 'optimize must be release or debug'],
      [
        { field: 'langVersion', problem: 'not-a-version' },
        'the language version must be 1 to 20 letters, digits and dots, such as preview or 13',
      ],
    ] as const
  ).map(([problem, words]): Case => ({
    refusal: { ok: false, code: 'INVALID_INPUT', ...problem },
    bot: `🙅 ${words}`,
    status: 400,
    http: words,
    cli: words,
  })),
  {
    refusal: { ok: false, code: 'VIEW_UNAVAILABLE', view: 'asm', backend: 'aci' },
    bot: '🔭 This sharpbox runs code on aci, which cannot show the asm view.',
    status: 501,
    http: 'the aci backend cannot show the asm view',
    cli: 'the aci backend cannot show the asm view',
  },
  {
    refusal: { ok: false, code: 'SHUTTING_DOWN' },
    bot: '🔧 The bot is restarting. Try again in a minute.',
    status: 503,
    http: 'the service is shutting down',
    cli: 'the service is shutting down',
  },
];

describe('refusals, worded by each front end', () => {
  it('has a case for every refusal code, and an HTTP status for each', () => {
    const codes = Object.keys(EVERY_CODE).sort();
    assert.deepEqual([...new Set(CASES.map((c) => c.refusal.code))].sort(), codes);
    assert.deepEqual(Object.keys(REFUSAL_STATUS).sort(), codes);
    for (const code of codes)
      assert.ok(
        Number.isInteger(REFUSAL_STATUS[code as RefusalCode]) && REFUSAL_STATUS[code as RefusalCode] >= 400,
        code,
      );
  });

  for (const c of CASES) {
    const name = JSON.stringify(refusalFacts(c.refusal));
    it(`words ${name} in the bot`, () => assert.equal(refusalText(c.refusal), c.bot));
    it(`answers ${name} over HTTP with its status, words and facts`, () => {
      const response = refusalResponse(c.refusal);
      assert.equal(response.status, c.status);
      assert.equal(refusalMessage(c.refusal), c.http);
      const { ok: _ok, code, ...facts } = c.refusal;
      const retryAfterMs = 'retryAfterMs' in c.refusal ? c.refusal.retryAfterMs : null;
      assert.deepEqual(response.body, { error: code, message: c.http, retryAfterMs, ...facts });
      assert.deepEqual(response.headers, retryAfterMs ? { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) } : {});
    });
    it(`words ${name} in the CLI`, () => assert.equal(refusalMessage(c.refusal), c.cli));
  }

  it('keeps the bot test’s rate-limit wording exactly', () => {
    const text = refusalText({
      ok: false,
      code: 'RATE_LIMITED',
      scope: 'user',
      kind: 'per-minute',
      limit: 1,
      retryAfterMs: 41_000,
    });
    assert.match(text, /^🐢 You can start 1 run a minute\. Try again in \d+ s\.$/);
  });

  it('gives the feed the code and facts without the ok flag', () => {
    assert.deepEqual(refusalFacts({ ok: false, code: 'SOURCE_TOO_LARGE', size: 3, limit: 2 }), {
      code: 'SOURCE_TOO_LARGE',
      size: 3,
      limit: 2,
    });
  });

  /** One of each, keyed by code, so a new bot refusal fails to compile here until it is listed. */
  const botOwn: { [C in BotRefusal['code']]: [Extract<BotRefusal, { code: C }>, string] } = {
    NO_CODE: [{ code: 'NO_CODE' }, '🤔 I found no C# code block. Put the code in a block that starts with ```cs'],
    NOT_A_CS_FILE: [{ code: 'NOT_A_CS_FILE' }, '📄 The file must be a `.cs` file.'],
    FILE_TOO_LARGE: [
      { code: 'FILE_TOO_LARGE', size: 70_000, limit: 65_536 },
      '📏 That code is too large: the file is 70000 bytes; the limit is 65536.',
    ],
    FILE_NOT_DOWNLOADED: [{ code: 'FILE_NOT_DOWNLOADED' }, '📄 I could not download that file; try again.'],
    FILE_NOT_UTF8: [{ code: 'FILE_NOT_UTF8' }, '📄 That file is not UTF-8 text.'],
    SHUTTING_DOWN: [{ code: 'SHUTTING_DOWN' }, '🔧 The bot is restarting. Try again in a minute.'],
  };
  it('words the bot’s own refusals (those that never reach the runner)', () => {
    for (const [refusal, words] of Object.values(botOwn)) assert.equal(refusalText(refusal), words, refusal.code);
  });
});
