import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyExec, formatBytes, formatSeconds, signalName, type ExecFacts } from '../../src/runner/classify.js';

const limits = { timeoutMs: 5000, memoryBytes: 256 * 1024 * 1024, maxProcesses: 64, outputBytes: 1024 * 1024 };
const facts = (over: Partial<ExecFacts>): ExecFacts => ({
  exitCode: 0,
  setupFailed: false,
  killedBy: null,
  timedOut: false,
  cancelled: false,
  outputExceeded: false,
  socketMemoryExceeded: false,
  oomKills: 0,
  memoryLimitHits: 0,
  taskLimitHits: 0,
  cpuLimitHit: false,
  sawReady: true,
  sawStart: true,
  hostFault: null,
  noteExitCode: null,
  unhandledType: null,
  stderrHead: '',
  ...over,
});

describe('classifying a finished sandbox', () => {
  it('says ok for exit 0', () => {
    assert.deepEqual(classifyExec(facts({ noteExitCode: 0 }), limits), {
      status: 'ok',
      exitCode: 0,
      signal: null,
      reason: 'exited with code 0',
    });
  });
  it('reports a non-zero exit code', () => {
    assert.deepEqual(classifyExec(facts({ exitCode: 3, noteExitCode: 3 }), limits), {
      status: 'runtime_error',
      exitCode: 3,
      signal: null,
      reason: 'exited with code 3',
    });
  });
  it('reads 128 + N as signal N unless the program said it exited with that code', () => {
    assert.equal(classifyExec(facts({ exitCode: 139 }), limits).signal, 'SIGSEGV');
    assert.deepEqual(classifyExec(facts({ exitCode: 134, noteExitCode: 134 }), limits), {
      status: 'runtime_error',
      exitCode: 134,
      signal: null,
      reason: 'exited with code 134',
    });
  });
  it('names the unhandled exception', () => {
    const c = classifyExec(facts({ exitCode: 134, unhandledType: 'System.InvalidOperationException' }), limits);
    assert.deepEqual(c, {
      status: 'runtime_error',
      exitCode: null,
      signal: 'SIGABRT',
      reason: 'unhandled exception System.InvalidOperationException',
    });
  });
  it('names a stack overflow', () => {
    assert.equal(
      classifyExec(facts({ exitCode: 134, stderrHead: 'Stack overflow.\n   at F()' }), limits).reason,
      'stack overflow',
    );
  });
  it('puts our own kills first: cancel, then output cap, then wall clock', () => {
    assert.equal(
      classifyExec(facts({ cancelled: true, timedOut: true, outputExceeded: true }), limits).status,
      'cancelled',
    );
    assert.equal(classifyExec(facts({ timedOut: true, outputExceeded: true }), limits).status, 'output_limit');
    assert.deepEqual(classifyExec(facts({ timedOut: true, exitCode: 137 }), limits), {
      status: 'timeout',
      exitCode: null,
      signal: null,
      reason: 'timed out after 5 s',
    });
  });
  it('reports memory_limit only from what the host saw: an OOM kill, memory at its cap, the socket-buffer cap', () => {
    assert.deepEqual(classifyExec(facts({ exitCode: 137, oomKills: 1 }), limits), {
      status: 'memory_limit',
      exitCode: null,
      signal: 'SIGKILL',
      reason: 'ran out of memory (256 MiB)',
    });
    assert.equal(
      classifyExec(facts({ exitCode: 134, unhandledType: 'System.OutOfMemoryException', memoryLimitHits: 5 }), limits)
        .status,
      'memory_limit',
    );
    assert.deepEqual(
      classifyExec(facts({ exitCode: 137, socketMemoryExceeded: true, timedOut: true }), {
        ...limits,
        socketBytes: 64 * 1024 * 1024,
      }),
      {
        status: 'memory_limit',
        exitCode: null,
        signal: null,
        reason: 'ran out of memory: socket buffers reached their cap (64 MiB)',
      },
    );
    // The cap was touched but the program recovered and exited 0: it ran fine.
    assert.equal(classifyExec(facts({ exitCode: 0, memoryLimitHits: 5 }), limits).status, 'ok');
  });
  it('never takes memory_limit from the program: a thrown OutOfMemoryException is a runtime error', () => {
    // A user class named System.OutOfMemoryException (or a real managed OOM the cgroup never saw).
    const c = classifyExec(facts({ exitCode: 134, unhandledType: 'System.OutOfMemoryException' }), limits);
    assert.deepEqual(c, {
      status: 'runtime_error',
      exitCode: null,
      signal: 'SIGABRT',
      reason: 'unhandled exception System.OutOfMemoryException',
    });
  });
  it('tells a thread limit from a memory limit', () => {
    const c = classifyExec(
      facts({ exitCode: 134, unhandledType: 'System.OutOfMemoryException', taskLimitHits: 3 }),
      limits,
    );
    assert.equal(c.status, 'runtime_error');
    assert.match(c.reason, /limit of 64 threads/);
  });
  it('blames the sandbox, not the user, only on facts from before the program existed', () => {
    assert.equal(
      classifyExec(facts({ exitCode: 1, sawReady: false, sawStart: false }), limits).status,
      'internal_error',
    );
    assert.equal(
      classifyExec(facts({ exitCode: 125, setupFailed: true, sawReady: false, sawStart: false }), limits).reason,
      'the sandbox could not be set up',
    );
    assert.equal(classifyExec(facts({ exitCode: 70, sawStart: false }), limits).status, 'internal_error');
    assert.equal(
      classifyExec(facts({ exitCode: 70, sawStart: false, hostFault: 'no assembly on the control fd' }), limits).reason,
      'the runner host failed: no assembly on the control fd',
    );
    // After start, exit 125 or 70 is the program's own doing.
    assert.equal(
      classifyExec(facts({ exitCode: 125, setupFailed: true, noteExitCode: 125 }), limits).status,
      'runtime_error',
    );
    assert.equal(classifyExec(facts({ exitCode: 70 }), limits).status, 'runtime_error');
  });
  it('treats SIGXCPU as a timeout only when the cgroup counted the CPU time', () => {
    assert.equal(classifyExec(facts({ exitCode: 128 + 24, cpuLimitHit: true }), limits).status, 'timeout');
    // exit(152) is not a CPU limit.
    assert.deepEqual(classifyExec(facts({ exitCode: 128 + 24 }), limits), {
      status: 'runtime_error',
      exitCode: null,
      signal: 'SIGXCPU',
      reason: 'killed by SIGXCPU',
    });
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
