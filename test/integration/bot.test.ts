// The bot end to end: the production service (node dist/src/main.js, as `npm start` runs it) with the
// real discord.js client, against the Discord fake in test/fakes, running code in the real sandbox.
// Each scenario asserts the exact flow of the one reply: one create, then edits of that same message
// only, its states moving forward (pending → compiling → running → done; states reached while an edit
// was in flight collapse into the next edit), and the final content.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALL_PERMISSIONS, FakeDiscord, type LoggedRequest } from '../fakes/discord.js';
import { ServiceProcess } from '../support/botProcess.js';

let fake: FakeDiscord;
let service: ServiceProcess;
let stateDir = '';

function env(): Record<string, string> {
  return {
    DISCORD_TOKEN: 'fake-token',
    DISCORD_API_URL: fake.apiUrl,
    BOT_AUTORUN_CHANNELS: fake.channels.autorun,
    BOT_TRIGGER_ROLES: fake.roles.runner,
    // Discord allows about 5 edits per 5 s per channel (the fake enforces it), and the scenarios share a
    // few channels: live output at most once a second keeps them within it.
    BOT_EDIT_INTERVAL_MS: '1000',
    SHUTDOWN_GRACE_MS: '10000',
    BOT_STATE_FILE: join(stateDir, 'bot-inflight.json'),
    SANDBOX_SLOTS: '2',
    PORT: '0',
    // The scenarios run far more than a person would; fair use has its own scenario below.
    USER_RUNS_PER_MINUTE: '1000',
    USER_CONCURRENT_RUNS: '20',
    // Runs that wait to be cancelled must outlast the reply's edits, which Discord's per-channel limits
    // can hold back for seconds.
    RUN_TIMEOUT_MS: '20000',
    LOG_LEVEL: 'info',
  };
}

async function startService(): Promise<ServiceProcess> {
  const s = new ServiceProcess(env());
  await s.waitForLog('discord bot ready');
  return s;
}

before(async () => {
  fake = await FakeDiscord.start();
  stateDir = await mkdtemp(join(tmpdir(), 'sharpbox-bot-'));
  service = await startService();
});

after(async () => {
  service?.kill('SIGTERM');
  await service?.exited;
  await fake?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

const PHASES = ['⏳', '⚙️', '▶️'] as const;
function phase(content: string): number {
  const i = PHASES.findIndex((p) => content.startsWith(p));
  return i >= 0 ? i : 3; // anything else is a final state
}
const contentOf = (r: LoggedRequest): string =>
  String((r.body?.data as Record<string, unknown> | undefined)?.content ?? r.body?.content ?? '');

interface Flow {
  create: LoggedRequest;
  edits: LoggedRequest[];
  final: string;
}

/** Waits for the reply to reach a final state and checks the shape of its flow. */
async function replyFlow(
  since: number,
  isCreate: (r: LoggedRequest) => boolean,
  isEdit: (r: LoggedRequest, create: LoggedRequest) => boolean,
  done: (content: string) => boolean = (c) => phase(c) === 3,
): Promise<Flow> {
  const create = await fake.waitFor(
    () => fake.requests.slice(since).find((r) => r.status < 300 && isCreate(r)),
    30_000,
    'the reply',
  );
  const edits = await fake.waitFor(
    () => {
      const e = fake.requests.slice(since).filter((r) => r.status < 300 && isEdit(r, create));
      const last = e.at(-1);
      return last && done(contentOf(last)) ? e : undefined;
    },
    30_000,
    'the final state',
  );
  const creates = fake.requests.slice(since).filter((r) => r.status < 300 && isCreate(r));
  assert.equal(creates.length, 1, 'exactly one reply is created');
  // A deferred interaction ("thinking…") comes before every state the bot shows.
  const deferred = create.body?.type === 5;
  const phases = [...(deferred ? [] : [create]), ...edits].map((r) => phase(contentOf(r)));
  assert.deepEqual(
    phases,
    [...phases].sort((a, b) => a - b),
    `states only move forward: ${phases.join(' ')}`,
  );
  for (const r of [...(deferred ? [] : [create]), ...edits]) {
    const allowed = ((r.body?.data as Record<string, unknown> | undefined) ?? r.body)?.allowed_mentions;
    assert.deepEqual(allowed, { parse: [], replied_user: false }, 'every create and edit parses no mentions');
  }
  return { create, edits, final: contentOf(edits.at(-1) as LoggedRequest) };
}

/** The flow of a reply to a code message. */
function messageFlow(since: number, codeMessageId: string, done?: (content: string) => boolean): Promise<Flow> {
  return replyFlow(
    since,
    (r) =>
      r.method === 'POST' &&
      /\/messages$/.test(r.path) &&
      (r.body?.message_reference as { message_id?: string } | undefined)?.message_id === codeMessageId,
    (r, create) => r.method === 'PATCH' && r.path.endsWith(`/messages/${create.messageId}`),
    done,
  );
}

/** The flow of an interaction's reply: deferred at once (Discord's 3 s), then its original response edited. */
function interactionFlow(since: number, token: string, done?: (content: string) => boolean): Promise<Flow> {
  return replyFlow(
    since,
    (r) => r.method === 'POST' && r.path.includes(`/${token}/callback`) && r.body?.type === 5,
    (r) => r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`),
    done,
  );
}

/** Runs the service finished with this status so far, from its Prometheus /metrics. */
async function finishedWith(status: string): Promise<number> {
  const url = String((await service.waitForLog('http server listening')).url);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(
    new RegExp(`^sharpbox_runs_finished_total\\{status="${status}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0,
  );
}

const code = (source: string, stdin?: string) =>
  `\`\`\`cs\n${source}\n\`\`\`${stdin === undefined ? '' : `\n\`\`\`stdin\n${stdin}\n\`\`\``}`;

describe('the Discord bot', () => {
  it('registers /run and the Run C#, Show IL and Show asm context menus at start-up', () => {
    const registered = fake.commands.at(-1)?.body as { name: string; type: number }[];
    assert.deepEqual(
      registered.map((c) => [c.name, c.type]),
      [
        ['run', 1],
        ['Run C#', 3],
        ['Show IL', 3],
        ['Show asm', 3],
        ['sharpbox', 1],
      ],
    );
  });

  it('runs a code block sent in a DM and edits one reply from pending to done', async () => {
    const since = fake.requests.length;
    const msg = fake.dm(fake.users.alice, code('Console.WriteLine($"Hello, {Console.ReadLine()}!");', 'Ada'));
    const flow = await messageFlow(since, msg.id);
    assert.match(contentOf(flow.create), /^⏳ \*\*Queued\*\*/);
    assert.match(
      flow.final,
      /^✅ \*\*Finished\*\* · exited with code 0\n-# compile \d+ ms · run \d+ ms · peak memory [\d.]+ (MiB|KiB)\n```\nHello, Ada!\n```$/,
    );
    const buttons = (flow.edits.at(-1)?.body?.components as { components: { label: string }[] }[])[0]?.components.map(
      (c) => c.label,
    );
    assert.deepEqual(buttons, ['Run again', 'Delete']);
  });

  it('runs every code block in an auto-run channel', async () => {
    const since = fake.requests.length;
    const msg = fake.post(fake.channels.autorun, fake.users.bob, `look:\n${code('Console.WriteLine(6 * 7);')}`);
    const flow = await messageFlow(since, msg.id);
    assert.match(flow.final, /```\n42\n```$/);
  });

  it('adds ▶️ elsewhere, and runs an uncached message when its author clicks it', async () => {
    const since = fake.requests.length;
    const seen = fake.post(fake.channels.general, fake.users.bob, code('Console.WriteLine(1);'));
    await fake.waitFor(
      () =>
        fake.requests
          .slice(since)
          .find((r) => r.method === 'PUT' && r.path.includes(`/messages/${seen.id}/reactions/▶️/@me`)),
      10_000,
      'the ▶️ reaction',
    );
    assert.ok(
      !fake.requests.slice(since).some((r) => r.method === 'POST' && r.path.endsWith('/messages')),
      'no run without the click',
    );

    const uncached = fake.seed(fake.channels.general, fake.users.alice, code('Console.WriteLine("from the past");'));
    const before = fake.requests.length;
    fake.react(uncached.id, fake.users.bob); // not the author, no trigger role: nothing happens
    fake.react(uncached.id, fake.users.alice);
    const flow = await messageFlow(before, uncached.id);
    assert.ok(
      fake.requests.slice(before).some((r) => r.method === 'GET' && r.path.endsWith(`/messages/${uncached.id}`)),
      'the uncached message was fetched',
    );
    assert.match(flow.final, /from the past/);
  });

  it("lets a member with a trigger role run someone else's code with ▶️", async () => {
    const msg = fake.seed(fake.channels.general, fake.users.alice, code('Console.WriteLine("by role");'));
    const since = fake.requests.length;
    fake.react(msg.id, fake.users.mod, '▶️', [fake.roles.runner]);
    const flow = await messageFlow(since, msg.id);
    assert.match(flow.final, /by role/);
  });

  it('runs /run with code and stdin options', async () => {
    const since = fake.requests.length;
    const { token } = fake.slash(fake.users.alice, [
      { name: 'code', type: 3, value: 'Console.WriteLine(Console.ReadLine()?.ToUpperInvariant());' },
      { name: 'stdin', type: 3, value: 'shout' },
    ]);
    const flow = await interactionFlow(since, token);
    assert.match(flow.final, /```\nSHOUT\n```$/);
  });

  it("replies with a last line's value: new[]{1,2,3}.Sum() shows 6", async () => {
    const since = fake.requests.length;
    const msg = fake.dm(fake.users.alice, code('new[]{1,2,3}.Sum()'));
    const flow = await messageFlow(since, msg.id);
    assert.match(flow.final, /^✅ \*\*Finished\*\* · exited with code 0\n-# .*\n```\n6\n```$/);
  });

  it('replies with a Dump() table from /run', async () => {
    const since = fake.requests.length;
    const { token } = fake.slash(fake.users.alice, [
      {
        name: 'code',
        type: 3,
        value: 'new[] { new { Name = "Ann", Age = 3 }, new { Name = "Bob", Age = 40 } }.Dump();',
      },
    ]);
    const flow = await interactionFlow(since, token);
    assert.match(flow.final, /```\nName {2}\| Age\n------\+----\n"Ann" \| 3\n"Bob" \| 40\n\(2 items\)\n```$/);
  });

  it('runs a snippet that uses an allowed package (#:package Newtonsoft.Json)', async () => {
    const since = fake.requests.length;
    const msg = fake.dm(
      fake.users.alice,
      code(
        '#:package Newtonsoft.Json@13.0.4\nConsole.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { A = 1, B = new[] { "x" } }));',
      ),
    );
    const flow = await messageFlow(since, msg.id);
    assert.match(flow.final, /^✅ \*\*Finished\*\*[\s\S]*```\n\{"A":1,"B":\["x"\]\}\n```$/);
  });

  it('runs /run with the optimize and lang_version options, through the modal too', async () => {
    const probe = '#if DEBUG\nConsole.WriteLine("DEBUG");\n#endif\nint[] xs = [1, 2];\nxs.Length';
    let since = fake.requests.length;
    const direct = fake.slash(fake.users.alice, [
      { name: 'code', type: 3, value: probe },
      { name: 'optimize', type: 3, value: 'debug' },
    ]);
    assert.match((await interactionFlow(since, direct.token)).final, /```\nDEBUG\n2\n```$/);
    since = fake.requests.length;
    const { token } = fake.slash(fake.users.alice, [
      { name: 'optimize', type: 3, value: 'debug' },
      { name: 'lang_version', type: 3, value: '11' },
    ]);
    const modal = await fake.waitFor(
      () => fake.requests.slice(since).find((r) => r.path.includes(`/${token}/callback`) && r.body?.type === 9),
      10_000,
      'the modal',
    );
    const id = (modal.body?.data as { custom_id: string }).custom_id;
    assert.equal(id, 'sb:modal:{"optimize":"debug","langVersion":"11"}');
    since = fake.requests.length;
    const submit = fake.modalSubmit(fake.users.alice, id, { code: probe, stdin: '' });
    assert.match((await interactionFlow(since, submit.token)).final, /CS9058|not available in C# 11\.0/);
  });

  it('opens a modal for /run without code, and runs what the modal sends', async () => {
    let since = fake.requests.length;
    const { token } = fake.slash(fake.users.alice, []);
    const modal = await fake.waitFor(
      () => fake.requests.slice(since).find((r) => r.path.includes(`/${token}/callback`) && r.body?.type === 9),
      10_000,
      'the modal',
    );
    assert.equal((modal.body?.data as { custom_id: string }).custom_id, 'sb:modal');
    since = fake.requests.length;
    const submit = fake.modalSubmit(fake.users.alice, 'sb:modal', {
      code: 'for (var i = 0; i < 3; i++)\n    Console.WriteLine(i);',
      stdin: '',
    });
    const flow = await interactionFlow(since, submit.token);
    assert.match(flow.final, /```\n0\n1\n2\n```$/);
  });

  it('runs /run with a .cs file attachment', async () => {
    const attachment = fake.upload('Program.cs', Buffer.from('Console.WriteLine("from a file");'));
    const since = fake.requests.length;
    const { token } = fake.slash(fake.users.alice, [{ name: 'file', type: 11, value: attachment.id }], {
      [attachment.id]: { ...attachment, content_type: 'text/plain' },
    });
    const flow = await interactionFlow(since, token);
    assert.match(flow.final, /from a file/);
  });

  it("acknowledges /run within Discord's 3 s even when the file downloads slowly", async () => {
    const attachment = fake.upload('Slow.cs', Buffer.from('Console.WriteLine("slow file");'));
    fake.attachmentDelayMs = 4000;
    try {
      const since = fake.requests.length;
      const { token } = fake.slash(fake.users.alice, [{ name: 'file', type: 11, value: attachment.id }], {
        [attachment.id]: attachment,
      });
      const flow = await interactionFlow(since, token);
      // The fake answers a late first response with 10062; the deferral was in time and the run went on.
      assert.ok(flow.create.status < 300, `the deferral was refused: ${flow.create.status}`);
      assert.ok(!fake.requests.slice(since).some((r) => r.code === 10062), 'no request came after the 3 s deadline');
      assert.match(flow.final, /slow file/);
    } finally {
      fake.attachmentDelayMs = 0;
    }
  });

  it('reaches the final state after its interaction token expired (15 minutes), through the channel message', async () => {
    const since = fake.requests.length;
    const { token } = fake.slash(fake.users.alice, [
      {
        name: 'code',
        type: 3,
        value: 'Console.WriteLine("before"); Thread.Sleep(2000); Console.WriteLine("after the token");',
      },
    ]);
    // The first edit through the token worked (and told the bot the reply's message id)…
    const first = await fake.waitFor(
      () =>
        fake.requests
          .slice(since)
          .find((r) => r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`) && r.status < 300),
      20_000,
      'the first edit',
    );
    assert.ok(first);
    // …then 15 minutes pass on Discord's side: the token is dead.
    fake.clock.advance(16 * 60_000);
    const expired = fake.requests.length;
    const final = await fake.waitFor(
      () =>
        fake.requests
          .slice(expired)
          .find(
            (r) =>
              r.method === 'PATCH' &&
              /^\/channels\/\d+\/messages\/\d+$/.test(r.path) &&
              r.status < 300 &&
              /^✅[\s\S]*after the token/.test(contentOf(r)),
          ),
      30_000,
      'the final state through the channel message',
    );
    assert.match(contentOf(final), /^✅/);
    // Once Discord said the token was dead, the bot stopped using it.
    const deadUses = fake.requests.slice(expired).filter((r) => r.path.includes(`/${token}/`) && r.code === 50027);
    assert.ok(deadUses.length <= 1, `${deadUses.length} requests with the dead token`);
  });

  it('refuses a file over the source cap, only to the caller (ephemeral), saying why', async () => {
    const attachment = fake.upload('Big.cs', Buffer.alloc(70_000, 0x20));
    const since = fake.requests.length;
    const { token } = fake.slash(fake.users.alice, [{ name: 'file', type: 11, value: attachment.id }], {
      [attachment.id]: attachment,
    });
    const answer = await fake.waitFor(
      () => fake.requests.slice(since).find((r) => r.path.includes(`/${token}/callback`)),
      10_000,
      'the refusal',
    );
    const data = answer.body?.data as { content: string; flags: number };
    assert.equal(data.flags, 64);
    assert.match(data.content, /too large: the file is 70000 bytes; the limit is 65536/);
  });

  it('runs a message through the Run C# context menu', async () => {
    const target = fake.seed(fake.channels.general, fake.users.bob, `try this\n${code('Console.WriteLine("menu");')}`);
    const since = fake.requests.length;
    const { token } = fake.messageCommand(fake.users.alice, target);
    const flow = await interactionFlow(since, token);
    assert.match(flow.final, /menu/);
  });

  it('shows the IL of /run view:il as a highlighted listing, without running Main', async () => {
    const since = fake.requests.length;
    const { token } = fake.slash(fake.users.alice, [
      { name: 'code', type: 3, value: 'Console.WriteLine("MAIN" + "-ran".ToUpperInvariant());' },
      { name: 'view', type: 3, value: 'il' },
    ]);
    const flow = await interactionFlow(since, token);
    assert.match(flow.final, /^🔬 \*\*IL\*\*\n/);
    assert.match(flow.final, /```cs\n/);
    assert.match(flow.final, /\.class /);
    assert.doesNotMatch(flow.final, /MAIN-RAN/);
  });

  it('shows the IL of a message through the Show IL context menu, the whole listing attached', async () => {
    const target = fake.seed(
      fake.channels.general,
      fake.users.bob,
      code('class Greeter { static void Main() { System.Console.WriteLine("Hello"); } }'),
    );
    const since = fake.requests.length;
    const { token } = fake.messageCommand(fake.users.alice, target, 'Show IL');
    const flow = await interactionFlow(since, token);
    assert.match(flow.final, /^🔬 \*\*IL\*\*\n/);
    // The listing is longer than 15 lines: its head is shown, the whole of it attached.
    assert.match(flow.final, /-# the whole listing in listing\.il$/);
    const file = flow.edits.at(-1)?.files.find((f) => f.name === 'listing.il');
    assert.ok(file, 'listing.il is attached');
    assert.match(file.data.toString(), /ldstr "Hello"/);
    assert.match(file.data.toString(), /call void \[System\.Console\]System\.Console::WriteLine\(string\)/);
  });

  it('shows the JIT assembly of a message through the Show asm context menu', async () => {
    const target = fake.seed(
      fake.channels.general,
      fake.users.bob,
      code('class Sq { static void Main() {} static int Square(int x) => x * x; }'),
    );
    const since = fake.requests.length;
    const { token } = fake.messageCommand(fake.users.alice, target, 'Show asm');
    const flow = await interactionFlow(since, token);
    assert.match(flow.final, /^🔬 \*\*JIT assembly\*\*\n/);
    assert.match(flow.final, /```x86asm\n; Assembly listing for method Sq:Main\(\) \(FullOpts\)\n/);
    const file = flow.edits.at(-1)?.files.find((f) => f.name === 'listing.asm');
    assert.ok(file, 'listing.asm is attached');
    assert.match(file.data.toString(), /; Assembly listing for method Sq:Square\(int\):int \(FullOpts\)\n/);
  });

  it('re-runs an edited code message into the same reply, with no new message', async () => {
    let since = fake.requests.length;
    const msg = fake.dm(fake.users.alice, code('Console.WriteLine("first");'));
    const first = await messageFlow(since, msg.id);
    since = fake.requests.length;
    fake.edit(msg.id, code('Console.WriteLine("second");'));
    const edits = await fake.waitFor(
      () => {
        const e = fake.requests
          .slice(since)
          .filter((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${first.create.messageId}`));
        const last = e.at(-1);
        return last && phase(contentOf(last)) === 3 && /second/.test(contentOf(last)) ? e : undefined;
      },
      20_000,
      'the re-run',
    );
    assert.ok(
      !fake.requests.slice(since).some((r) => r.method === 'POST' && r.path.endsWith('/messages')),
      'no new message',
    );
    assert.match(contentOf(edits.at(-1) as LoggedRequest), /^✅/);
  });

  it('deletes the reply when the code message is deleted, cancelling its run', async () => {
    let since = fake.requests.length;
    const msg = fake.dm(
      fake.users.alice,
      code('Console.WriteLine("start"); Thread.Sleep(15000); Console.WriteLine("end");'),
    );
    await messageFlow(since, msg.id, (c) => c.startsWith('▶️'));
    const reply = fake.requests.slice(since).find((r) => r.method === 'POST' && r.messageId)?.messageId;
    const cancelledBefore = await finishedWith('cancelled');
    since = fake.requests.length;
    fake.remove(msg.id);
    await fake.waitFor(
      () => fake.requests.slice(since).find((r) => r.method === 'DELETE' && r.path.endsWith(`/messages/${reply}`)),
      10_000,
      'the reply deleted',
    );
    // The run itself ended as cancelled (long before its 4 s sleep), as the service's own counters say.
    const deadline = Date.now() + 3000;
    while ((await finishedWith('cancelled')) <= cancelledBefore) {
      assert.ok(Date.now() < deadline, 'the run was not cancelled within 3 s of the delete');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('cancels a run from the Cancel button (author only)', async () => {
    const since = fake.requests.length;
    const msg = fake.dm(fake.users.alice, code('Console.WriteLine("sleeping"); Thread.Sleep(Timeout.Infinite);'));
    await messageFlow(since, msg.id, (c) => c.startsWith('▶️') && c.includes('sleeping'));
    const replyId = fake.requests.slice(since).find((r) => r.method === 'POST' && r.messageId)?.messageId as string;
    const reply = fake.messages.get(replyId);
    assert.ok(reply);
    const cancelId = (reply.components?.[0] as { components: { custom_id: string }[] }).components[0]
      ?.custom_id as string;
    const before = fake.requests.length;
    const stranger = fake.click(fake.users.bob, reply, cancelId);
    const denied = await fake.waitFor(
      () => fake.requests.slice(before).find((r) => r.path.includes(`/${stranger.token}/callback`)),
      10_000,
      'the denial',
    );
    assert.equal((denied.body?.data as { flags: number }).flags, 64);
    fake.click(fake.users.alice, reply, cancelId);
    const flow = await messageFlow(since, msg.id);
    assert.match(flow.final, /^🛑 \*\*Cancelled\*\* · cancelled\n/);
    assert.match(flow.final, /sleeping/);
  });

  it('runs again into the same reply, and deletes it, from the buttons of a finished run', async () => {
    let since = fake.requests.length;
    const msg = fake.post(fake.channels.autorun, fake.users.alice, code('Console.WriteLine(Guid.NewGuid());'));
    const flow = await messageFlow(since, msg.id);
    const replyId = flow.create.messageId as string;
    const reply = fake.messages.get(replyId);
    assert.ok(reply);
    const [rerun, del] = (reply.components?.[0] as { components: { custom_id: string }[] }).components.map(
      (c) => c.custom_id,
    );
    since = fake.requests.length;
    fake.click(fake.users.alice, reply, rerun as string);
    const rerunEdits = await fake.waitFor(
      () => {
        const e = fake.requests
          .slice(since)
          .filter((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${replyId}`));
        return e.length > 0 && phase(contentOf(e.at(-1) as LoggedRequest)) === 3 ? e : undefined;
      },
      20_000,
      'the re-run',
    );
    assert.notEqual(contentOf(rerunEdits.at(-1) as LoggedRequest), flow.final, 'a new run, a new Guid');
    assert.ok(
      !fake.requests.slice(since).some((r) => r.method === 'POST' && r.path.endsWith('/messages')),
      'no new message',
    );
    since = fake.requests.length;
    fake.click(fake.users.mod, reply, del as string, ALL_PERMISSIONS); // a moderator (Manage Messages) may delete
    await fake.waitFor(
      () => fake.requests.slice(since).find((r) => r.method === 'DELETE' && r.path.endsWith(`/messages/${replyId}`)),
      10_000,
      'the delete',
    );
  });

  it('shows compile errors as line:col id message', async () => {
    const since = fake.requests.length;
    const msg = fake.dm(fake.users.alice, code('int x = "text";\nConsole.WriteLine(x)'));
    const flow = await messageFlow(since, msg.id);
    assert.match(
      flow.final,
      /^🛠️ \*\*Compile error\*\* · 2 compile errors\n-# compile \d+ ms\n```\n1:9 CS0029 Cannot implicitly convert type 'string' to 'int'\n2:21 CS1002 ; expected\n```$/,
    );
  });

  it('trims long output head and tail and attaches output.txt', async () => {
    const since = fake.requests.length;
    const msg = fake.dm(fake.users.alice, code('for (var i = 1; i <= 200; i++) Console.WriteLine($"line {i}");'));
    const flow = await messageFlow(since, msg.id);
    assert.match(
      flow.final,
      /```\nline 1\n[\s\S]*line 7\n… 186 lines omitted …\nline 194\n[\s\S]*line 200\n```\n-# full output in output\.txt$/,
    );
    const file = flow.edits.at(-1)?.files[0];
    assert.equal(file?.name, 'output.txt');
    assert.equal(file?.data.toString().split('\n').length, 201);
  });

  it('keeps mentions from pinging and a program from passing for the bot', async () => {
    const since = fake.requests.length;
    const msg = fake.dm(
      fake.users.alice,
      code(
        `Console.WriteLine("@everyone <@${fake.users.bob.id}> <@&${fake.roles.moderator}>"); Console.WriteLine(new string('\`', 3)); Console.WriteLine("✅ **Finished** · all good");`,
      ),
    );
    const flow = await messageFlow(since, msg.id);
    const lines = flow.final.split('\n');
    assert.equal(lines[0], '✅ **Finished** · exited with code 0');
    assert.equal((flow.final.match(/```/g) ?? []).length, 2, "only the bot's own fences");
    assert.ok(flow.final.indexOf('@everyone') > flow.final.indexOf('```'), 'mentions stay inside the code block');
  });

  it('cannot be broken out of its code block with zero-width or right-to-left characters', async () => {
    const since = fake.requests.length;
    const msg = fake.dm(fake.users.alice, code('Console.WriteLine("`\\u200B``\\u202E```\\u2066`\\n**escaped**");'));
    const flow = await messageFlow(since, msg.id);
    const block = flow.final.slice(flow.final.indexOf('```') + 3, flow.final.lastIndexOf('```'));
    assert.ok(!block.includes('``'), `no two backticks in a row inside: ${JSON.stringify(block)}`);
    assert.ok(!/[\u202E\u2066]/.test(block), 'bidi controls are shown, not obeyed');
  });

  it('retries an edit answered with 429 and still delivers the final state', async () => {
    const since = fake.requests.length;
    fake.failNext((r) => r.method === 'PATCH' && /\/messages\/\d+$/.test(r.path), 1, 429, 0.2);
    const msg = fake.dm(fake.users.alice, code('Console.WriteLine("after a 429");'));
    const flow = await messageFlow(since, msg.id);
    assert.ok(
      fake.requests.slice(since).some((r) => r.status === 429),
      'a 429 was served',
    );
    assert.match(flow.final, /after a 429/);
  });

  it('sends allowed_mentions that parse nothing with every ephemeral answer', () => {
    const ephemerals = fake.requests.filter((r) => {
      const body = (r.body?.data as Record<string, unknown> | undefined) ?? r.body;
      return (
        r.method === 'POST' &&
        typeof body?.flags === 'number' &&
        (body.flags & 64) !== 0 &&
        typeof body.content === 'string'
      );
    });
    assert.ok(ephemerals.length >= 2, `the scenarios above answered privately (${ephemerals.length})`);
    for (const r of ephemerals) {
      const body = (r.body?.data as Record<string, unknown> | undefined) ?? r.body;
      assert.deepEqual(
        (body?.allowed_mentions as { parse?: unknown[] } | undefined)?.parse,
        [],
        `${r.method} ${r.path}`,
      );
    }
  });

  it('delivers the final state across a gateway disconnect and resume mid-run', async () => {
    const since = fake.requests.length;
    const resumesBefore = fake.gatewayOps.filter((o) => o.op === 6).length;
    const msg = fake.dm(
      fake.users.alice,
      code('Console.WriteLine("before"); Thread.Sleep(1500); Console.WriteLine("after");'),
    );
    await messageFlow(since, msg.id, (c) => c.startsWith('▶️'));
    fake.dropGateway(4000);
    await fake.waitFor(() => fake.gatewayOps.filter((o) => o.op === 6).length > resumesBefore, 15_000, 'a RESUME');
    const flow = await messageFlow(since, msg.id);
    assert.match(flow.final, /before\nafter/);
  });
});

describe('guild settings and fair use', () => {
  /** The answer to a settings command: an immediate ephemeral refusal, or a private deferral edited with the settings. */
  const answerTo = async (token: string, since: number): Promise<{ content: string; flags: number }> => {
    const callback = await fake.waitFor(
      () => fake.requests.slice(since).find((r) => r.path.includes(`/${token}/callback`)),
      10_000,
      'the answer',
    );
    const data = callback.body?.data as { content?: string; flags: number };
    if (callback.body?.type === 4) return { content: data.content ?? '', flags: data.flags };
    assert.equal(callback.body?.type, 5, 'deferred');
    const edit = await fake.waitFor(
      () =>
        fake.requests.slice(since).find((r) => r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`)),
      10_000,
      'the settings',
    );
    return { content: contentOf(edit), flags: data.flags };
  };

  it('refuses /sharpbox settings to members who cannot manage the server', async () => {
    const since = fake.requests.length;
    const { token } = fake.settingsCommand(fake.users.bob, [{ name: 'reactions', type: 5, value: false }]);
    const data = await answerTo(token, since);
    assert.equal(data.flags, 64);
    assert.match(data.content, /Only members who can manage this server/);
  });

  it('turns a channel into an auto-run channel with /sharpbox settings, and the bot follows it', async () => {
    let since = fake.requests.length;
    const { token } = fake.settingsCommand(
      fake.users.mod,
      [
        { name: 'autorun_channel', type: 7, value: fake.channels.general },
        { name: 'autorun', type: 5, value: true },
      ],
      ALL_PERMISSIONS,
    );
    const data = await answerTo(token, since);
    assert.equal(data.flags, 64, 'settings are shown to the admin only');
    assert.match(data.content, new RegExp(`auto-run channels: <#${fake.channels.general}>`));
    since = fake.requests.length;
    const msg = fake.post(fake.channels.general, fake.users.bob, code('Console.WriteLine("now automatic");'));
    const flow = await messageFlow(since, msg.id);
    assert.match(flow.final, /now automatic/);
    assert.ok(
      !fake.requests.slice(since).some((r) => r.method === 'PUT' && r.path.includes('/reactions/')),
      'no ▶️ needed',
    );
    // And back.
    since = fake.requests.length;
    const off = fake.settingsCommand(
      fake.users.mod,
      [
        { name: 'autorun_channel', type: 7, value: fake.channels.general },
        { name: 'autorun', type: 5, value: false },
      ],
      ALL_PERMISSIONS,
    );
    await answerTo(off.token, since);
  });

  it("applies a guild's own lower limit and says when to retry", async () => {
    let since = fake.requests.length;
    const { token } = fake.settingsCommand(
      fake.users.mod,
      [{ name: 'user_runs_per_minute', type: 4, value: 1 }],
      ALL_PERMISSIONS,
    );
    assert.match((await answerTo(token, since)).content, /runs per user per minute: 1/);
    since = fake.requests.length;
    const first = fake.post(fake.channels.autorun, fake.users.mod, code('Console.WriteLine("one");'));
    await messageFlow(since, first.id);
    since = fake.requests.length;
    const second = fake.post(fake.channels.autorun, fake.users.mod, code('Console.WriteLine("two");'));
    const refusal = await fake.waitFor(
      () =>
        fake.requests
          .slice(since)
          .find(
            (r) =>
              r.method === 'POST' &&
              (r.body?.message_reference as { message_id?: string } | undefined)?.message_id === second.id,
          ),
      10_000,
      'the refusal',
    );
    assert.match(contentOf(refusal), /^🐢 You can start 1 run a minute\. Try again in \d+ s\.$/);
    const reset = fake.settingsCommand(
      fake.users.mod,
      [{ name: 'user_runs_per_minute', type: 4, value: 1000 }],
      ALL_PERMISSIONS,
    );
    await answerTo(reset.token, fake.requests.length - 1);
  });
});

describe('the Discord bot across restarts', () => {
  it('on SIGTERM lets the running program finish, delivers its final state, and exits 0', async () => {
    const since = fake.requests.length;
    const msg = fake.dm(
      fake.users.alice,
      code('Console.WriteLine("working"); Thread.Sleep(1500); Console.WriteLine("finished");'),
    );
    await messageFlow(since, msg.id, (c) => c.startsWith('▶️'));
    service.kill('SIGTERM');
    const flow = await messageFlow(since, msg.id);
    assert.match(flow.final, /^✅[\s\S]*working\nfinished/);
    assert.equal(await service.exited, 0);
    service = await startService();
  });

  it('after a crash, edits the replies of runs that were in flight to say so, with Run again', async () => {
    const since = fake.requests.length;
    const msg = fake.dm(fake.users.alice, code('Console.WriteLine("long"); Thread.Sleep(Timeout.Infinite);'));
    await messageFlow(since, msg.id, (c) => c.startsWith('▶️'));
    const replyId = fake.requests.slice(since).find((r) => r.method === 'POST' && r.messageId)?.messageId as string;
    service.kill('SIGKILL');
    await service.exited;
    const leftovers = JSON.parse(await readFile(join(stateDir, 'bot-inflight.json'), 'utf8')) as {
      reply: { messageId: string };
    }[];
    assert.ok(leftovers.map((l) => l.reply.messageId).includes(replyId), 'the run in flight was on record');
    const restart = fake.requests.length;
    service = await startService();
    const edit = await fake.waitFor(
      () => fake.requests.slice(restart).find((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${replyId}`)),
      20_000,
      'the interrupted edit',
    );
    assert.match(contentOf(edit), /^⚠️ \*\*Interrupted\*\*/);
    const rerunId = (edit.body?.components as { components: { custom_id: string; label: string }[] }[])[0]
      ?.components[0];
    assert.equal(rerunId?.label, 'Run again');
    // Run again works on the recovered run.
    const reply = fake.messages.get(replyId);
    assert.ok(reply);
    const before = fake.requests.length;
    fake.click(fake.users.alice, reply, rerunId?.custom_id as string);
    await fake.waitFor(
      () =>
        fake.requests
          .slice(before)
          .find(
            (r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${replyId}`) && contentOf(r).startsWith('▶️'),
          ),
      20_000,
      'the re-run',
    );
  });
});
