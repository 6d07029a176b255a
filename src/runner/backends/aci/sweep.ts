// The sweeper: what a killed service (or a clean-up past its deadline) left behind, found by the expiry
// each thing carries, never by its age alone, so a sweep can run at any moment without touching a live run.
//
// Groups carry an `expiresAt` ARM tag. Blobs the service uploads (code, stdin, a pool member's
// assignment) carry the blob index tag `sharpbox-expires`, set on upload, and are found with one
// findBlobsByTags query instead of a full listing (research-12 §6; Set Blob Expiry is HNS-only and
// not in Azurite). The result blob is the container's own upload through its create+write SAS: it has
// no tag (setting one needs the SAS tag permission, and an overwrite would drop a tag set beforehand),
// so the sweeper never deletes it on its own; it goes with its run, when the run's tagged blobs under
// the same prefix have expired. A result between upload and download is therefore never swept.
import type { Logger } from '../../../log.js';
import { deleteGroup, deletePrefix, ignore404, type CleanupTargets } from './cleanup.js';

/** The blob index tag with a blob's expiry (an ISO time: tags compare as strings, and ISO sorts by time). */
export const EXPIRES_TAG = 'sharpbox-expires';
/** The ARM tag that marks our groups. */
export const APP_TAG = 'sharpbox';
/** One delete of the sweep; a stuck one is tried again at the next sweep. */
const SWEEP_DELETE_DEADLINE_MS = 120_000;

export function expiryTags(expiresAt: string): Record<string, string> {
  return { [EXPIRES_TAG]: expiresAt };
}

/** Deletes our groups and blob prefixes past their expiry; returns how many groups and blobs it found. */
export async function sweepExpired(t: CleanupTargets, log: Logger, now: Date = new Date()): Promise<number> {
  let removed = 0;
  try {
    for await (const g of t.aci.containerGroups.listByResourceGroup(t.resourceGroup)) {
      if (g.tags?.app !== APP_TAG || !g.name) continue;
      const expires = Date.parse(g.tags.expiresAt ?? '');
      if (!Number.isNaN(expires) && expires > now.getTime()) continue;
      removed++;
      try {
        await deleteGroup(t, g.name, AbortSignal.timeout(SWEEP_DELETE_DEADLINE_MS)).catch(ignore404);
        log.warn('swept an orphaned container group', {
          group: g.name,
          runId: g.tags.runId,
          instance: g.tags.instance,
        });
      } catch (err) {
        // One stuck delete must not keep the sweep from the rest; the next sweep tries it again.
        log.error('could not sweep a container group', { group: g.name, err: (err as Error).message });
      }
    }
    // Collected first: deleting while the service pages through the query could skip entries.
    const prefixes = new Set<string>();
    const loose: string[] = [];
    for await (const b of t.container.findBlobsByTags(`"${EXPIRES_TAG}" < '${now.toISOString()}'`)) {
      const slash = b.name.lastIndexOf('/');
      if (slash >= 0) prefixes.add(b.name.slice(0, slash + 1));
      else loose.push(b.name);
      removed++;
    }
    for (const prefix of prefixes) await deletePrefix(t, prefix, AbortSignal.timeout(SWEEP_DELETE_DEADLINE_MS));
    for (const name of loose) await t.container.deleteBlob(name, { deleteSnapshots: 'include' }).catch(ignore404);
  } catch (err) {
    log.error('sweep failed; will try again', { err: (err as Error).message });
  }
  return removed;
}
