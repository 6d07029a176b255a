// The Discord fake refuses what Discord refuses, the way Discord does: each limit driven over HTTP
// with plain fetch, answered with Discord's status, JSON error code and body. The bot's own tests lean
// on this: a bot that passes against the fake does not break these rules in production.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PermissionFlagsBits } from 'discord-api-types/v10';
import { FakeClock, FakeDiscord, LIMITS } from '../fakes/discord.js';

let fake: FakeDiscord;
/** Frozen real time: only advance() moves it, so windows and deadlines are exact. */
let now = 1_800_000_000_000;
let clock: FakeClock;

interface Answer {
  status: number;
  json: Record<string, unknown> | null;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  files: { name: string; data: Buffer }[] = [],
  auth = true,
): Promise<Answer> {
  const headers: Record<string, string> = auth ? { Authorization: 'Bot fake-token' } : {};
  let payload: string | FormData | undefined;
  if (files.length > 0) {
    const form = new FormData();
    form.append('payload_json', JSON.stringify(body ?? {}));
    files.forEach((f, i) => form.append(`files[${i}]`, new Blob([new Uint8Array(f.data)]), f.name));
    payload = form;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(`${fake.apiUrl}/v10${path}`, { method, headers, body: payload });
  const text = await res.text();
  return {
    status: res.status,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : null,
    headers: res.headers,
  };
}

const send = (channelId: string, body: unknown, files: { name: string; data: Buffer }[] = []) =>
  call('POST', `/channels/${channelId}/messages`, body, files);
const fieldErrors = (a: Answer, ...path: (string | number)[]): { code: string; message: string }[] => {
  let node = a.json?.errors as Record<string, unknown> | undefined;
  for (const key of path) node = node?.[String(key)] as Record<string, unknown> | undefined;
  return (node?._errors as { code: string; message: string }[] | undefined) ?? [];
};

function assertRefused(a: Answer, status: number, code: number, message?: string): void {
  assert.equal(a.status, status, JSON.stringify(a.json));
  assert.equal(a.json?.code, code);
  if (message) assert.equal(a.json?.message, message);
}

before(async () => {
  clock = new FakeClock(() => now);
  // Roomy buckets for the limits under test, so that only the rate-limit tests meet a 429.
  fake = await FakeDiscord.start({
    clock,
    rateLimits: { 'message.create': { limit: 1000, windowMs: 1000 }, 'message.edit': { limit: 1000, windowMs: 1000 } },
  });
});

after(async () => {
  await fake?.stop();
});

// Every test starts in a fresh rate-limit window.
beforeEach(() => {
  now += 60_000;
});

describe('the Discord fake: message limits', () => {
  it('refuses content over 2000 characters with 50035 BASE_TYPE_MAX_LENGTH on content, counting code points as Discord does', async () => {
    assert.equal((await send(fake.channels.general, { content: 'x'.repeat(2000) })).status, 200);
    assert.equal(
      (await send(fake.channels.general, { content: '😀'.repeat(2000) })).status,
      200,
      '2000 emoji are 2000 characters (4000 UTF-16 units)',
    );
    const a = await send(fake.channels.general, { content: 'x'.repeat(2001) });
    assertRefused(a, 400, 50035, 'Invalid Form Body');
    assert.deepEqual(fieldErrors(a, 'content'), [
      { code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' },
    ]);
    assertRefused(await send(fake.channels.general, { content: '😀'.repeat(2001) }), 400, 50035);
  });

  it('refuses edits, follow-ups and interaction responses over the limit too, with the path under data for a response', async () => {
    const created = await send(fake.channels.general, { content: 'short' });
    const edit = await call('PATCH', `/channels/${fake.channels.general}/messages/${String(created.json?.id)}`, {
      content: 'y'.repeat(2001),
    });
    assert.deepEqual(
      fieldErrors(edit, 'content').map((e) => e.code),
      ['BASE_TYPE_MAX_LENGTH'],
    );
    const { id, token } = fake.slash(fake.users.alice, []);
    const response = await call(
      'POST',
      `/interactions/${id}/${token}/callback`,
      { type: 4, data: { content: 'z'.repeat(2001) } },
      [],
      false,
    );
    assertRefused(response, 400, 50035);
    assert.deepEqual(
      fieldErrors(response, 'data', 'content').map((e) => e.code),
      ['BASE_TYPE_MAX_LENGTH'],
    );
  });

  it("refuses embeds over 6000 characters in total (MAX_EMBED_SIZE_EXCEEDED) and over each field's own limit", async () => {
    const embed = (n: number) => ({ description: 'd'.repeat(n) });
    assert.equal((await send(fake.channels.general, { embeds: [embed(4000), embed(2000)] })).status, 200);
    const a = await send(fake.channels.general, { embeds: [embed(4000), embed(2001)] });
    assertRefused(a, 400, 50035);
    assert.equal(fieldErrors(a, 'embeds')[0]?.code, 'MAX_EMBED_SIZE_EXCEEDED');
    const title = await send(fake.channels.general, { embeds: [{ title: 't'.repeat(257) }] });
    assert.equal(fieldErrors(title, 'embeds', 0, 'title')[0]?.code, 'BASE_TYPE_MAX_LENGTH');
  });

  it('refuses a file over 10 MiB with 413 and 40005, and more than 10 attachments with 50035', async () => {
    const ok = await send(fake.channels.general, { content: 'file', attachments: [{ id: '0', filename: 'a.txt' }] }, [
      { name: 'a.txt', data: Buffer.alloc(LIMITS.fileBytes) },
    ]);
    assert.equal(ok.status, 200);
    const big = await send(fake.channels.general, { content: 'file', attachments: [{ id: '0', filename: 'a.txt' }] }, [
      { name: 'a.txt', data: Buffer.alloc(LIMITS.fileBytes + 1) },
    ]);
    assertRefused(big, 413, 40005, 'Request entity too large');
    const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from('x') }));
    const many = await send(
      fake.channels.general,
      { content: 'files', attachments: eleven.map((f, i) => ({ id: String(i), filename: f.name })) },
      eleven,
    );
    assertRefused(many, 400, 50035);
    assert.equal(fieldErrors(many, 'attachments')[0]?.code, 'BASE_TYPE_MAX_LENGTH');
  });

  it('refuses more than 5 action rows, more than 5 buttons in a row, and a custom_id over 100 characters', async () => {
    const button = (id: string) => ({ type: 2, style: 1, label: 'b', custom_id: id });
    const row = (...ids: string[]) => ({ type: 1, components: ids.map(button) });
    assert.equal(
      (await send(fake.channels.general, { content: 'ok', components: [row('a'.repeat(100), 'b', 'c', 'd', 'e')] }))
        .status,
      200,
    );
    const rows = await send(fake.channels.general, {
      content: 'x',
      components: ['1', '2', '3', '4', '5', '6'].map((id) => row(id)),
    });
    assertRefused(rows, 400, 50035);
    assert.equal(fieldErrors(rows, 'components')[0]?.code, 'BASE_TYPE_MAX_LENGTH');
    const buttons = await send(fake.channels.general, {
      content: 'x',
      components: [row('1', '2', '3', '4', '5', '6')],
    });
    assert.equal(fieldErrors(buttons, 'components', 0, 'components')[0]?.code, 'BASE_TYPE_BAD_LENGTH');
    const long = await send(fake.channels.general, { content: 'x', components: [row('a'.repeat(101))] });
    assertRefused(long, 400, 50035);
    assert.equal(fieldErrors(long, 'components', 0, 'components', 0, 'custom_id')[0]?.code, 'BASE_TYPE_BAD_LENGTH');
    const twice = await send(fake.channels.general, { content: 'x', components: [row('same', 'same')] });
    assert.equal(
      fieldErrors(twice, 'components', 0, 'components', 1, 'custom_id')[0]?.code,
      'COMPONENT_CUSTOM_ID_DUPLICATED',
    );
  });

  it('refuses an empty message with 50006', async () => {
    assertRefused(await send(fake.channels.general, { content: '' }), 400, 50006, 'Cannot send an empty message');
  });
});

describe('the Discord fake: unknown things and permissions', () => {
  it('answers 10008 Unknown Message for a message that never existed, was deleted, or is in another channel', async () => {
    assertRefused(
      await call('GET', `/channels/${fake.channels.general}/messages/1234567890123456789`),
      404,
      10008,
      'Unknown Message',
    );
    const created = await send(fake.channels.general, { content: 'soon gone' });
    const path = `/channels/${fake.channels.general}/messages/${String(created.json?.id)}`;
    assert.equal((await call('DELETE', path)).status, 204);
    assertRefused(await call('PATCH', path, { content: 'edit' }), 404, 10008);
    assertRefused(
      await call('GET', `/channels/${fake.channels.autorun}/messages/${String(created.json?.id)}`),
      404,
      10008,
    );
  });

  it('answers 10003 Unknown Channel for a channel that never existed or was deleted', async () => {
    assertRefused(await send('1234567890123456789', { content: 'hi' }), 404, 10003, 'Unknown Channel');
    const other = await FakeDiscord.start({ clock });
    try {
      other.deleteChannel(other.channels.autorun);
      const res = await fetch(`${other.apiUrl}/v10/channels/${other.channels.autorun}/messages`, {
        method: 'POST',
        headers: { Authorization: 'Bot t', 'Content-Type': 'application/json' },
        body: '{"content":"hi"}',
      });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { code: number }).code, 10003);
    } finally {
      await other.stop();
    }
  });

  it('answers 403 50013 Missing Permissions where a test took the permission, and 50001 Missing Access without View Channel', async () => {
    const other = await FakeDiscord.start({ clock });
    try {
      const post = (channel: string) =>
        fetch(`${other.apiUrl}/v10/channels/${channel}/messages`, {
          method: 'POST',
          headers: { Authorization: 'Bot t', 'Content-Type': 'application/json' },
          body: '{"content":"hi"}',
        });
      other.denyPermissions(other.channels.general, PermissionFlagsBits.SendMessages);
      const denied = await post(other.channels.general);
      assert.equal(denied.status, 403);
      assert.deepEqual(await denied.json(), { code: 50013, message: 'Missing Permissions' });
      assert.equal((await post(other.channels.autorun)).status, 200, 'other channels are untouched');
      other.denyPermissions(other.channels.autorun, PermissionFlagsBits.ViewChannel);
      assert.equal(((await (await post(other.channels.autorun)).json()) as { code: number }).code, 50001);
    } finally {
      await other.stop();
    }
  });

  it("refuses edits of another user's message (50005) and deletes of it without Manage Messages (50013)", async () => {
    const theirs = fake.seed(fake.channels.general, fake.users.alice, 'mine');
    const path = `/channels/${fake.channels.general}/messages/${theirs.id}`;
    assertRefused(await call('PATCH', path, { content: 'hijack' }), 403, 50005);
    assertRefused(await call('DELETE', path), 403, 50013);
  });
});

describe('the Discord fake: interactions', () => {
  it('takes the first response within 3 s, and answers a second one with 40060', async () => {
    const { id, token } = fake.slash(fake.users.alice, []);
    now += LIMITS.initialResponseMs - 1;
    assert.equal(
      (await call('POST', `/interactions/${id}/${token}/callback`, { type: 4, data: { content: 'hi' } }, [], false))
        .status,
      204,
    );
    assertRefused(
      await call('POST', `/interactions/${id}/${token}/callback`, { type: 4, data: { content: 'again' } }, [], false),
      400,
      40060,
      'Interaction has already been acknowledged',
    );
  });

  it('answers 10062 Unknown interaction to a first response later than 3 s (advanced clock)', async () => {
    const { id, token } = fake.slash(fake.users.alice, []);
    clock.advance(LIMITS.initialResponseMs + 1);
    assertRefused(
      await call('POST', `/interactions/${id}/${token}/callback`, { type: 5 }, [], false),
      404,
      10062,
      'Unknown interaction',
    );
  });

  it('answers 10062 when the 3 s pass in real time', async () => {
    const real = await FakeDiscord.start(); // the default clock: real time
    try {
      const { id, token } = real.slash(real.users.alice, []);
      await new Promise((r) => setTimeout(r, LIMITS.initialResponseMs + 100));
      const res = await fetch(`${real.apiUrl}/v10/interactions/${id}/${token}/callback`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"type":5}',
      });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { code: number }).code, 10062);
    } finally {
      await real.stop();
    }
  });

  it('honours the interaction token for 15 minutes, then answers 401 50027 Invalid Webhook Token', async () => {
    const { id, token } = fake.slash(fake.users.alice, []);
    assert.equal(
      (await call('POST', `/interactions/${id}/${token}/callback`, { type: 4, data: { content: 'first' } }, [], false))
        .status,
      204,
    );
    const original = `/webhooks/${fake.applicationId}/${token}/messages/@original`;
    clock.advance(LIMITS.interactionTokenMs - 1000);
    assert.equal((await call('PATCH', original, { content: 'still fine' }, [], false)).status, 200);
    assert.equal(
      (await call('POST', `/webhooks/${fake.applicationId}/${token}?wait=true`, { content: 'follow-up' }, [], false))
        .status,
      200,
    );
    clock.advance(2000);
    assertRefused(
      await call('PATCH', original, { content: 'too late' }, [], false),
      401,
      50027,
      'Invalid Webhook Token',
    );
    assertRefused(
      await call('POST', `/webhooks/${fake.applicationId}/${token}?wait=true`, { content: 'too late' }, [], false),
      401,
      50027,
    );
    assertRefused(await call('GET', original, undefined, [], false), 401, 50027);
  });

  it('refuses a modal whose custom_id is over 100 characters or whose text input allows more than 4000', async () => {
    const { id, token } = fake.slash(fake.users.alice, []);
    const modal = {
      custom_id: 'm'.repeat(101),
      title: 'T',
      components: [
        { type: 1, components: [{ type: 4, custom_id: 'code', label: 'Code', style: 2, max_length: 4001 }] },
      ],
    };
    const a = await call('POST', `/interactions/${id}/${token}/callback`, { type: 9, data: modal }, [], false);
    assertRefused(a, 400, 50035);
    assert.equal(fieldErrors(a, 'data', 'custom_id')[0]?.code, 'BASE_TYPE_BAD_LENGTH');
    assert.equal(fieldErrors(a, 'data', 'components', 0, 'components', 0, 'max_length').length, 1);
  });
});

describe('the Discord fake: rate limits', () => {
  let limited: FakeDiscord;
  before(async () => {
    limited = await FakeDiscord.start({ clock });
  });
  after(async () => {
    await limited?.stop();
  });
  const post = (channel: string) =>
    fetch(`${limited.apiUrl}/v10/channels/${channel}/messages`, {
      method: 'POST',
      headers: { Authorization: 'Bot t', 'Content-Type': 'application/json' },
      body: '{"content":"hi"}',
    });

  it('counts 5 message creates per 5 s per channel, with the bucket headers on every response, then answers 429 with Retry-After > 0', async () => {
    const remaining: string[] = [];
    const resetAt = ((clock.now() + 5000) / 1000).toFixed(3);
    for (let i = 0; i < 5; i++) {
      const res = await post(limited.channels.general);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-ratelimit-limit'), '5');
      assert.match(res.headers.get('x-ratelimit-bucket') ?? '', /^[0-9a-f]{32}$/);
      assert.equal(res.headers.get('x-ratelimit-reset-after'), '5.000');
      assert.equal(res.headers.get('x-ratelimit-reset'), resetAt, 'epoch seconds');
      remaining.push(res.headers.get('x-ratelimit-remaining') ?? '');
    }
    assert.deepEqual(remaining, ['4', '3', '2', '1', '0']);
    clock.advance(1500);
    const res = await post(limited.channels.general);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '4', 'whole seconds, rounded up (3.5 s left)');
    assert.equal(res.headers.get('x-ratelimit-scope'), 'user');
    assert.equal(res.headers.get('x-ratelimit-remaining'), '0');
    assert.deepEqual(await res.json(), { message: 'You are being rate limited.', retry_after: 3.5, global: false });
    assert.equal((await post(limited.channels.autorun)).status, 200, 'another channel has its own count');
    clock.advance(3500);
    assert.equal((await post(limited.channels.general)).status, 200, 'the window reset');
  });

  it('keeps message edits in a bucket of their own, and puts the headers on refusals too', async () => {
    const created = (await (await post(limited.channels.autorun)).json()) as { id: string };
    for (let i = 0; i < 4; i++) await post(limited.channels.autorun);
    assert.equal((await post(limited.channels.autorun)).status, 429, 'creates are used up');
    const edit = await fetch(`${limited.apiUrl}/v10/channels/${limited.channels.autorun}/messages/${created.id}`, {
      method: 'PATCH',
      headers: { Authorization: 'Bot t', 'Content-Type': 'application/json' },
      body: '{"content":"edited"}',
    });
    assert.equal(edit.status, 200);
    assert.equal(edit.headers.get('x-ratelimit-remaining'), '4');
    const createBucket = (await post(limited.channels.autorun)).headers.get('x-ratelimit-bucket');
    assert.notEqual(edit.headers.get('x-ratelimit-bucket'), createBucket);
    const unknown = await fetch(
      `${limited.apiUrl}/v10/channels/${limited.channels.autorun}/messages/1234567890123456789`,
      { headers: { Authorization: 'Bot t' } },
    );
    assert.equal(unknown.status, 404);
    assert.ok(
      unknown.headers.get('x-ratelimit-limit') &&
        unknown.headers.get('x-ratelimit-remaining') &&
        unknown.headers.get('x-ratelimit-reset-after'),
    );
  });

  it('stops a bot at 50 requests a second over all routes (global), but not interaction responses', async () => {
    const get = () =>
      fetch(`${limited.apiUrl}/v10/channels/${limited.channels.general}/messages/1234567890123456789`, {
        headers: { Authorization: 'Bot global' },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await get()).status);
    assert.ok(
      statuses.every((s) => s === 404),
      'the first 50 reach the route',
    );
    const res = await get();
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('x-ratelimit-global'), 'true');
    assert.equal(res.headers.get('x-ratelimit-scope'), 'global');
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal(((await res.json()) as { global: boolean }).global, true);
    const { id, token } = limited.slash(limited.users.alice, []);
    const callback = await fetch(`${limited.apiUrl}/v10/interactions/${id}/${token}/callback`, {
      method: 'POST',
      headers: { Authorization: 'Bot global', 'Content-Type': 'application/json' },
      body: '{"type":5}',
    });
    assert.equal(callback.status, 204);
  });
});
