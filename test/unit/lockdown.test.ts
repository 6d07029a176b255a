import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const run = promisify(execFile);

// lockdown.json is what the TypeScript side reads (the sweep test); the host's own table is what its
// filter is built from. They must say the same thing, or the sweep would test a filter nobody installs.
describe('the host lockdown table', () => {
  it('is the same in lockdown.json as in the built host', async () => {
    const { stdout } = await run(
      'dotnet',
      [join(root, 'container', 'bin', 'host', 'sharpbox-host.dll'), 'lockdown-table'],
      { timeout: 30_000 },
    );
    const fromHost: unknown = JSON.parse(stdout);
    const fromFile: unknown = JSON.parse(await readFile(join(root, 'container', 'host', 'lockdown.json'), 'utf8'));
    assert.deepEqual(fromHost, fromFile);
  });

  it('denies exec and fork, and answers clone3 with ENOSYS so threads fall back to clone', async () => {
    const table = JSON.parse(await readFile(join(root, 'container', 'host', 'lockdown.json'), 'utf8')) as {
      x86_64: Record<string, number>;
      clone_needs_thread: boolean;
      kill_pid1: number[];
    };
    for (const nr of ['59', '322', '57', '58']) assert.equal(table.x86_64[nr], 1, `syscall ${nr} → EPERM`);
    assert.equal(table.x86_64['435'], 38);
    assert.equal(table.x86_64['56'], undefined, 'clone is decided by its flags, not denied outright');
    assert.equal(table.clone_needs_thread, true);
    assert.deepEqual(table.kill_pid1, [62, 200, 234]);
  });
});
