// The service (and its tests) work from a checkout only root can read: a folder of mode 0700 whose files
// are 0600, as a build under umask 077 leaves them. Neither the local sandbox's uids nor the aci
// "container" user may read anything there, so both must be given staged copies.
//
// The ordinary suite already runs through both stagings (the local backend always stages, and so does
// the ARM fake); but from a readable checkout, a path that read the checkout in place would pass just the
// same. This file closes a copy of what the sandboxes need, checks that it really is closed, and runs
// one program on each backend from it (with the service's own umask at 077 for the local one).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRunner } from '../../src/runner/index.js';
import { FakeArm } from '../fakes/arm.js';
import { aciTestEnv, useFakeIdentity } from '../support/aciEnv.js';
import { startAzurite } from '../support/azurite.js';
import { show, startTestRunner } from '../support/runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const HELLO = 'Console.WriteLine("hello from a closed checkout");';
let dir = '';
let container = '';

before(async () => {
  // mkdtemp: root-owned, 0700.
  dir = await mkdtemp(join(tmpdir(), 'sharpbox-rootonly-'));
  container = join(dir, 'checkout', 'container');
  execFileSync('mkdir', ['-p', join(container, 'bin')]);
  execFileSync('cp', ['-R', join(root, 'container', 'bin', 'host'), join(container, 'bin', 'host')]);
  execFileSync('cp', ['-R', join(root, 'container', 'sandbox-etc'), join(container, 'sandbox-etc')]);
  execFileSync('cp', [join(root, 'container', 'entry.sh'), join(container, 'entry.sh')]);
  execFileSync('chmod', ['-R', 'go=', dir]);
  const peek = spawnSync('setpriv', [
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    '--',
    'cat',
    join(container, 'sandbox-etc', 'passwd'),
  ]);
  assert.notEqual(peek.status, 0, 'the copy is closed to other users');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a checkout only root can read', () => {
  it('runs a program on the local backend, the service under umask 077', async () => {
    const umask = process.umask(0o077);
    try {
      const t = await startTestRunner({
        SANDBOX_HOST_DIR: join(container, 'bin', 'host'),
        SANDBOX_ETC_DIR: join(container, 'sandbox-etc'),
        SANDBOX_SLOTS: '1',
        COMPILE_WARMUP: 'false',
      });
      try {
        const r = await t.run(HELLO);
        assert.equal(r.status, 'ok', show(r));
        assert.equal(r.stdout, 'hello from a closed checkout\n');
      } finally {
        await t.stop();
      }
    } finally {
      process.umask(umask);
    }
  });

  it('runs a program on the aci backend, the fake container reading its staged image', async () => {
    const azurite = await startAzurite();
    try {
      const arm = await FakeArm.start({ containerDir: container });
      try {
        useFakeIdentity(arm);
        const config = loadConfig({ ...process.env, ...aciTestEnv(arm, azurite.connectionString) });
        const runner = await createRunner(config, { log: createLogger('silent') });
        try {
          const submitted = runner.submit({ source: HELLO });
          assert.ok(submitted.ok);
          const r = await submitted.handle.result;
          assert.equal(r.status, 'ok', show(r));
          assert.equal(r.stdout, 'hello from a closed checkout\n');
        } finally {
          await runner.stop(0);
        }
      } finally {
        await arm.stop();
      }
    } finally {
      await azurite.stop();
    }
  });
});
