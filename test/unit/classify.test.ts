import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyExec, formatBytes, formatSeconds, signalName, type ExecFacts } from '../../src/runner/classify.js';

const limits = { timeoutMs: 5000, memoryBytes: 256 * 1024 * 1024, maxProcesses: 64, outputBytes: 1024 * 1024 };
const facts = (over: Partial<ExecFacts>): ExecFacts => ({
  exitCode: 0,
  killedBy: null,
  timedOut: false,
  cancelled: false,
  outputExceeded: false,
  sawReady: true,
  sawStart: true,
  noteExitCode: null,
  unhandledType: null,
  stderrHead: '',
  oomKills: 0,
  taskLimitHits: 0,
  ...over,
});

describe('classifying a finished sandbox', () => {
  it('says ok for exit 0', () => {
    assert.deepEqual(classifyExec(facts({ noteExitCode: 0 }), limits), { status: 'ok', exitCode: 0, signal: null, reason: 'exited with code 0' });
  });
  it('reports a non-zero exit code', () => {
    assert.deepEqual(classifyExec(facts({ exitCode: 3, noteExitCode: 3 }), limits), { status: 'runtime_error', exitCode: 3, signal: null, reason: 'exited with code 3' });
  });
  it('reads 128 + N as signal N unless the program said it exited with that code', () => {
    assert.equal(classifyExec(facts({ exitCode: 139 }), limits).signal, 'SIGSEGV');
    assert.deepEqual(classifyExec(facts({ exitCode: 134, noteExitCode: 134 }), limits), { status: 'runtime_error', exitCode: 134, signal: null, reason: 'exited with code 134' });
  });
  it('names the unhandled exception', () => {
    const c = classifyExec(facts({ exitCode: 134, unhandledType: 'System.InvalidOperationException' }), limits);
    assert.deepEqual(c, { status: 'runtime_error', exitCode: null, signal: 'SIGABRT', reason: 'unhandled exception System.InvalidOperationException' });
  });
  it('names a stack overflow', () => {
    assert.equal(classifyExec(facts({ exitCode: 134, stderrHead: 'Stack overflow.\n   at F()' }), limits).reason, 'stack overflow');
  });
  it('puts our own kills first: cancel, then output cap, then wall clock', () => {
    assert.equal(classifyExec(facts({ cancelled: true, timedOut: true, outputExceeded: true }), limits).status, 'cancelled');
    assert.equal(classifyExec(facts({ timedOut: true, outputExceeded: true }), limits).status, 'output_limit');
    assert.deepEqual(classifyExec(facts({ timedOut: true, exitCode: 137 }), limits), { status: 'timeout', exitCode: null, signal: null, reason: 'timed out after 5 s' });
  });
  it('reports a cgroup OOM kill and a managed OutOfMemoryException as memory_limit', () => {
    assert.deepEqual(classifyExec(facts({ exitCode: 137, oomKills: 1 }), limits), { status: 'memory_limit', exitCode: null, signal: 'SIGKILL', reason: 'ran out of memory (256 MiB)' });
    assert.equal(classifyExec(facts({ exitCode: 134, unhandledType: 'System.OutOfMemoryException' }), limits).status, 'memory_limit');
  });
  it('tells a thread limit from a memory limit', () => {
    const c = classifyExec(facts({ exitCode: 134, unhandledType: 'System.OutOfMemoryException', taskLimitHits: 3 }), limits);
    assert.equal(c.status, 'runtime_error');
    assert.match(c.reason, /limit of 64 threads/);
  });
  it('blames the sandbox, not the user, when the host never got ready', () => {
    assert.equal(classifyExec(facts({ exitCode: 1, sawReady: false, sawStart: false }), limits).status, 'internal_error');
    assert.equal(classifyExec(facts({ exitCode: 125, sawReady: false, sawStart: false }), limits).reason, 'the sandbox could not be set up');
    assert.equal(classifyExec(facts({ exitCode: 70, sawStart: false }), limits).status, 'internal_error');
  });
  it('treats SIGXCPU as a timeout', () => {
    assert.equal(classifyExec(facts({ exitCode: 128 + 24 }), limits).status, 'timeout');
  });
});

describe('formatting', () => {
  it('formats sizes and durations for people', () => {
    assert.equal(formatBytes(256 * 1024 * 1024), '256 MiB');
    assert.equal(formatBytes(1536 * 1024), '1.5 MiB');
    assert.equal(formatBytes(65536), '64 KiB');
    assert.equal(formatBytes(100), '100 bytes');
    assert.equal(formatSeconds(5000), '5 s');
    assert.equal(formatSeconds(1500), '1.5 s');
  });
  it('prefers canonical signal names', () => {
    assert.equal(signalName(6), 'SIGABRT');
    assert.equal(signalName(11), 'SIGSEGV');
    assert.equal(signalName(200), 'signal 200');
  });
});
