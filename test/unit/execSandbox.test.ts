// One exec sandbox's run against a fake sandbox: the watchdogs (output cap, notes cap, wall clock, cancel,
// memory watch) each kill it at once and say why, and what the program wrote is kept exactly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ExecSandbox,
  NOTES_CAP_BYTES,
  utf8Boundary,
  type ExecOptions,
} from '../../src/runner/backends/local/execSandbox.js';
import { FakeSandbox } from '../support/fakeSandbox.js';

const READY = '{"e":"ready"}\n';
const START = '{"e":"start"}\n';
/** Long enough that a watchdog which failed to kill shows up as a timeout, short enough to fail fast. */
const WALL_MS = 3000;

function options(over: Partial<ExecOptions> = {}): ExecOptions {
  return {
    program: Buffer.from('program'),
    stdin: Buffer.from('input'),
    timeoutMs: WALL_MS,
    outputCapBytes: 1000,
    signal: new AbortController().signal,
    ...over,
  };
}

/** A sandbox whose host said ready, and the run handed to it. */
async function running(
  over: Partial<ExecOptions> = {},
): Promise<{ sb: FakeSandbox; exec: ExecSandbox; run: ReturnType<ExecSandbox['run']> }> {
  const sb = new FakeSandbox();
  const exec = new ExecSandbox(sb);
  sb.write('notes', READY);
  assert.equal(await exec.ready, true);
  const run = exec.run(options(over));
  sb.write('notes', START);
  return { sb, exec, run };
}

describe('an exec sandbox before its run', () => {
  it('is ready once the host inside says so, and usable while it lives', async () => {
    const sb = new FakeSandbox();
    const exec = new ExecSandbox(sb);
    sb.write('notes', '{"e":"rea');
    sb.write('notes', 'dy"}\n');
    assert.equal(await exec.ready, true);
    assert.equal(await exec.usable(), true);
    sb.exit(0);
    await sb.closed;
    assert.equal(await exec.usable(), false, 'a sandbox that died while waiting is not handed a program');
  });

  it('is never ready if it dies first', async () => {
    const sb = new FakeSandbox();
    const exec = new ExecSandbox(sb);
    sb.exit(1);
    assert.equal(await exec.ready, false);
    assert.equal(await exec.usable(), false);
  });

  it('is killed when discarded, and discard waits for it to be gone', async () => {
    const sb = new FakeSandbox();
    const exec = new ExecSandbox(sb);
    await exec.discard();
    assert.equal(sb.kills.length, 1);
    assert.deepEqual(await exec.closed, { exitCode: 137, killedBy: null });
  });

  it('kills a sandbox whose notes flood before any run, and the run then reports the flood', async () => {
    const sb = new FakeSandbox();
    const exec = new ExecSandbox(sb);
    sb.write('notes', READY);
    await exec.ready;
    sb.write('notes', Buffer.alloc(NOTES_CAP_BYTES, 'x'));
    await sb.closed;
    assert.equal(sb.kills.length, 1);
    const o = await exec.run(options({ outputCapBytes: 10 * NOTES_CAP_BYTES }));
    assert.equal(o.outputExceeded, true);
    assert.equal(o.timedOut, false);
  });

  it('lets notes up to the cap through', async () => {
    const sb = new FakeSandbox();
    const exec = new ExecSandbox(sb);
    sb.write('notes', READY);
    await exec.ready;
    sb.write('notes', Buffer.alloc(NOTES_CAP_BYTES - READY.length - 1, 'x'));
    sb.write('notes', '\n');
    await new Promise((r) => setImmediate(r));
    assert.equal(sb.kills.length, 0);
    sb.exit(0);
  });
});

describe('an exec sandbox running its one program', () => {
  it('hands over the program on fd 3 and the stdin, closing both', async () => {
    const { sb, run } = await running();
    assert.equal((await FakeSandbox.drain(sb.control)).toString(), 'program');
    assert.equal((await FakeSandbox.drain(sb.stdin)).toString(), 'input');
    sb.exit(0);
    await run;
  });

  it('runs one program only', async () => {
    const { sb, exec, run } = await running();
    await assert.rejects(exec.run(options()), /one program only/);
    sb.exit(0);
    await run;
  });

  it('keeps stdout and stderr apart, streams them as text, and reads the notes after start', async () => {
    const seen: string[] = [];
    const { sb, run } = await running({ onOutput: (stream, text) => seen.push(`${stream}:${text}`) });
    sb.write('stdout', 'out ');
    sb.write('stderr', 'err');
    // "é" split across two chunks: the stream decoder waits for the rest rather than printing U+FFFD.
    sb.write('stdout', Buffer.from([0xc3]));
    sb.write('stdout', Buffer.from([0xa9]));
    sb.write('notes', '{"e":"exit","code":3}\n{"e":"unhandled","type":"System.Exception"}\n');
    await new Promise((r) => setImmediate(r));
    sb.exit(3);
    const o = await run;
    assert.deepEqual(seen, ['stdout:out ', 'stderr:err', 'stdout:é']);
    assert.equal(o.stdout.toString(), 'out é');
    assert.equal(o.stderr.toString(), 'err');
    assert.deepEqual(o.notes, {
      ready: true,
      start: true,
      fault: null,
      exitCode: 3,
      unhandledType: 'System.Exception',
    });
    assert.deepEqual(
      {
        exitCode: o.exitCode,
        timedOut: o.timedOut,
        cancelled: o.cancelled,
        outputExceeded: o.outputExceeded,
        socketMemoryExceeded: o.socketMemoryExceeded,
      },
      {
        exitCode: 3,
        timedOut: false,
        cancelled: false,
        outputExceeded: false,
        socketMemoryExceeded: false,
      },
    );
    assert.equal(sb.kills.length, 0);
  });

  it('hands a stream decoder tail that never completed to onOutput at the end', async () => {
    const seen: string[] = [];
    const { sb, run } = await running({ onOutput: (stream, text) => seen.push(`${stream}:${text}`) });
    sb.write('stderr', Buffer.from([0x61, 0xe2, 0x82]));
    await new Promise((r) => setImmediate(r));
    sb.exit(0);
    await run;
    assert.deepEqual(seen, ['stderr:a', 'stderr:\ufffd']);
  });

  it('kills a flood the moment it passes the output cap, long before the wall clock', async () => {
    const { sb, run } = await running({ outputCapBytes: 10 });
    sb.write('stdout', '123456');
    sb.write('stderr', '789abcdef');
    const o = await run;
    assert.equal(sb.kills.length, 1, 'killed once, by the cap');
    assert.equal(o.outputExceeded, true);
    assert.equal(o.timedOut, false, 'the cap ended it, not the wall clock');
    assert.ok(o.wallMs < WALL_MS / 2, `ended after ${o.wallMs} ms`);
    assert.equal(o.stdout.toString() + o.stderr.toString(), '123456789a', 'exactly the cap is kept');
  });

  it('allows output of exactly the cap', async () => {
    const { sb, run } = await running({ outputCapBytes: 10 });
    sb.write('stdout', '12345');
    sb.write('stderr', '67890');
    await new Promise((r) => setImmediate(r));
    sb.exit(0);
    const o = await run;
    assert.equal(sb.kills.length, 0);
    assert.equal(o.outputExceeded, false);
    assert.equal(o.stdout.toString() + o.stderr.toString(), '1234567890');
  });

  it('keeps nothing written after the cap was passed, and never cuts a UTF-8 character', async () => {
    const seen: string[] = [];
    const { sb, run } = await running({ outputCapBytes: 4, onOutput: (_s, text) => seen.push(text) });
    sb.write('stdout', 'abcé!');
    sb.write('stdout', 'more');
    const o = await run;
    assert.equal(o.stdout.toString(), 'abc');
    assert.deepEqual(seen, ['abc']);
  });

  it('counts the notes the program writes after start against the output cap, but not the host lines before it', async () => {
    const sb = new FakeSandbox();
    const exec = new ExecSandbox(sb);
    sb.write('notes', `${READY}${'{"e":"x"}\n'.repeat(5)}`);
    await exec.ready;
    const run = exec.run(options({ outputCapBytes: 20 }));
    sb.write('notes', START);
    await new Promise((r) => setImmediate(r));
    assert.equal(sb.kills.length, 0, 'the host lines up to start are not output');
    sb.write('stdout', '0123456789');
    sb.write('notes', '0123456789');
    await new Promise((r) => setImmediate(r));
    assert.equal(sb.kills.length, 0, '20 bytes is the cap, not past it');
    sb.write('notes', '!');
    const o = await run;
    assert.equal(sb.kills.length, 1);
    assert.equal(o.outputExceeded, true);
  });

  it('counts program notes that arrive in the same chunk as start from just past it', async () => {
    const sb = new FakeSandbox();
    const exec = new ExecSandbox(sb);
    const run = exec.run(options({ outputCapBytes: 4 }));
    sb.write('notes', `${READY}${START}1234`);
    await new Promise((r) => setImmediate(r));
    assert.equal(sb.kills.length, 0);
    sb.write('notes', '5');
    const o = await run;
    assert.equal(o.outputExceeded, true);
  });

  it('kills a program at its wall clock and says it timed out', async () => {
    const { sb, run } = await running({ timeoutMs: 50 });
    const o = await run;
    assert.equal(sb.kills.length, 1);
    assert.equal(o.timedOut, true);
    assert.equal(o.outputExceeded, false);
    assert.ok(o.wallMs >= 45 && o.wallMs < WALL_MS, `wallMs ${o.wallMs}`);
  });

  it('stops the wall clock when the program ends by itself', async () => {
    const { sb, run } = await running({ timeoutMs: 30 });
    sb.exit(0);
    const o = await run;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(o.timedOut, false);
    assert.equal(sb.kills.length, 0);
  });

  it('kills a cancelled run and says so', async () => {
    const ac = new AbortController();
    const { sb, run } = await running({ signal: ac.signal });
    ac.abort();
    const o = await run;
    assert.equal(o.cancelled, true);
    assert.equal(o.timedOut, false);
    assert.equal(sb.kills.length, 1);
  });

  it('kills at once a run cancelled before it was handed over', async () => {
    const ac = new AbortController();
    ac.abort();
    const { sb, run } = await running({ signal: ac.signal });
    const o = await run;
    assert.equal(o.cancelled, true);
    assert.equal(sb.kills.length, 1);
  });

  it('stops listening for cancel once the run is over', async () => {
    const ac = new AbortController();
    const { sb, run } = await running({ signal: ac.signal });
    sb.exit(0);
    const o = await run;
    ac.abort();
    assert.equal(o.cancelled, false);
    assert.equal(sb.kills.length, 0);
  });

  it('kills a run whose memory watch reports its cap, once, and polls it no more after', async () => {
    let polls = 0;
    const { sb, run } = await running({
      memoryWatch: async () => {
        polls++;
        return polls >= 2;
      },
    });
    const o = await run;
    assert.equal(o.socketMemoryExceeded, true);
    assert.equal(o.timedOut, false);
    assert.equal(sb.kills.length, 1);
    const after = polls;
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(polls, after);
    assert.ok(o.wallMs >= 150 && o.wallMs < 1000, `wallMs ${o.wallMs}`);
  });

  it('does not poll the memory watch again while a poll is still out', async () => {
    let polls = 0;
    let answer!: (hit: boolean) => void;
    const { sb, run } = await running({
      memoryWatch: () => {
        polls++;
        return new Promise((r) => (answer = r));
      },
    });
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(polls, 1);
    answer(false);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(polls, 2, 'polled again once the first answered');
    assert.equal(sb.kills.length, 0);
    sb.exit(0);
    assert.equal((await run).socketMemoryExceeded, false);
  });
});

describe('cutting output at a UTF-8 boundary', () => {
  it('never splits a character, and never goes past the end', () => {
    const buf = Buffer.from('aé€😀'); // 1 + 2 + 3 + 4 bytes
    const cases: [number, number][] = [
      [-1, 0],
      [0, 0],
      [1, 1],
      [2, 1],
      [3, 3],
      [4, 3],
      [5, 3],
      [6, 6],
      [7, 6],
      [8, 6],
      [9, 6],
      [10, 10],
      [11, 10],
    ];
    for (const [max, end] of cases) assert.equal(utf8Boundary(buf, max), end, `max ${max}`);
  });

  it('leaves a run of stray continuation bytes alone rather than walking back past a character', () => {
    const stray = Buffer.from([0x61, 0x80, 0x80, 0x80, 0x80, 0x80]);
    assert.equal(utf8Boundary(stray, 5), 5);
    assert.equal(utf8Boundary(Buffer.from([0x80, 0x80]), 1), 1);
  });
});
