// The sweeper deletes only what has expired: a group whose expiresAt is still ahead belongs to a live run
// (this process's or another's sharing the resource group), so it must be left alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CleanupTargets } from '../../src/runner/backends/aci/cleanup.js';
import { sweepExpired } from '../../src/runner/backends/aci/sweep.js';
import { createLogger } from '../../src/log.js';

interface Group {
  name?: string;
  tags?: Record<string, string>;
}

/** Only what the sweep calls: listing and deleting groups, finding and deleting blobs. */
function targets(
  groups: Group[],
  expiredBlobs: string[] = [],
): { t: CleanupTargets; deletedGroups: string[]; deletedBlobs: string[]; queries: string[] } {
  const deletedGroups: string[] = [];
  const deletedBlobs: string[] = [];
  const queries: string[] = [];
  const fake = {
    resourceGroup: 'rg',
    budget: { delete: async () => ({ ok: true }) },
    aci: {
      containerGroups: {
        listByResourceGroup: async function* (rg: string) {
          assert.equal(rg, 'rg');
          yield* groups;
        },
        beginDelete: async (_rg: string, name: string) => ({
          pollUntilDone: async () => void deletedGroups.push(name),
        }),
      },
    },
    container: {
      findBlobsByTags: async function* (query: string) {
        queries.push(query);
        for (const name of expiredBlobs) yield { name };
      },
      listBlobsFlat: async function* ({ prefix }: { prefix: string }) {
        for (const name of [`${prefix}Program.cs`, `${prefix}result.json`]) yield { name };
      },
      deleteBlob: async (name: string) => void deletedBlobs.push(name),
    },
  };
  return { t: fake as unknown as CleanupTargets, deletedGroups, deletedBlobs, queries };
}

const now = new Date('2026-11-30T12:00:00.000Z');
const log = createLogger('silent');

describe('the aci sweeper', () => {
  it('deletes our groups past their expiry and spares those still live, untagged ones and others', async () => {
    const { t, deletedGroups } = targets([
      { name: 'expired', tags: { app: 'sharpbox', expiresAt: '2026-11-30T11:59:59.999Z' } },
      { name: 'expiring-now', tags: { app: 'sharpbox', expiresAt: '2026-11-30T12:00:00.000Z' } },
      { name: 'live', tags: { app: 'sharpbox', expiresAt: '2026-11-30T12:00:00.001Z' } },
      { name: 'no-expiry', tags: { app: 'sharpbox' } },
      { name: 'not-ours', tags: { app: 'other', expiresAt: '2026-11-30T11:00:00.000Z' } },
      { name: 'untagged' },
      { tags: { app: 'sharpbox', expiresAt: '2026-11-30T11:00:00.000Z' } },
    ]);
    const removed = await sweepExpired(t, log, now);
    // A group of ours with no readable expiry is an orphan of an older version: swept.
    assert.deepEqual(deletedGroups, ['expired', 'expiring-now', 'no-expiry']);
    assert.equal(removed, 3);
  });

  it('empties the prefix of every expired blob, and deletes loose expired blobs', async () => {
    const { t, deletedBlobs, queries } = targets([], ['runs/a/code.cs', 'runs/a/stdin.txt', 'loose.txt']);
    assert.equal(await sweepExpired(t, log, now), 3);
    assert.deepEqual(queries, [`"sharpbox-expires" < '2026-11-30T12:00:00.000Z'`]);
    assert.deepEqual(deletedBlobs, ['runs/a/Program.cs', 'runs/a/result.json', 'loose.txt']);
  });

  it('goes on to the rest when one delete fails', async () => {
    const { t, deletedGroups } = targets([
      { name: 'stuck', tags: { app: 'sharpbox', expiresAt: '2026-11-30T11:00:00.000Z' } },
      { name: 'next', tags: { app: 'sharpbox', expiresAt: '2026-11-30T11:00:00.000Z' } },
    ]);
    const aci = t.aci.containerGroups as unknown as { beginDelete: (rg: string, name: string) => Promise<unknown> };
    const real = aci.beginDelete;
    aci.beginDelete = async (rg, name) =>
      name === 'stuck' ? Promise.reject(Object.assign(new Error('boom'), { statusCode: 500 })) : real(rg, name);
    assert.equal(await sweepExpired(t, log, now), 2);
    assert.deepEqual(deletedGroups, ['next']);
  });
});
