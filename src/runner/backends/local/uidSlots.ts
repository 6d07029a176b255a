// Claims the unprivileged uids the sandboxes run as: one per concurrency slot, exclusive to this
// service process. Several services (shards, test files) on one machine must never share a uid,
// because RLIMIT_NPROC counts per uid and the end-of-run sweep kills every process of the slot's uid.
// A claim is a directory created atomically in the state dir, holding the owner's pid; a claim whose
// owner is dead is taken over.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './proc.js';

export interface UidClaim {
  uids: number[];
  release(): Promise<void>;
}

const SEARCH_SPAN = 10_000;

export async function claimUids(stateDir: string, base: number, count: number): Promise<UidClaim> {
  const dir = join(stateDir, 'uids');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const taken = systemUids();
  const uids: number[] = [];
  for (let uid = base; uid < base + SEARCH_SPAN && uids.length < count; uid++) {
    if (taken.has(uid)) continue; // a real account: its files must never be reachable from a run
    if (await tryClaim(join(dir, String(uid)))) uids.push(uid);
  }
  const release = async (): Promise<void> => {
    await Promise.all(uids.map((uid) => rm(join(dir, String(uid)), { recursive: true, force: true })));
  };
  if (uids.length < count) {
    await release();
    throw new Error(`could not claim ${count} sandbox uids from ${base} in ${dir}: others hold them`);
  }
  return { uids, release };
}

async function tryClaim(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(path);
      await writeFile(join(path, 'pid'), String(process.pid));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(join(path, 'pid'), 'utf8').catch(() => '')).trim());
    if (owner > 0 && (owner === process.pid || isAlive(owner))) return false;
    // No pid yet: another claimer is between mkdir and writeFile, unless it died there long ago.
    if (!(owner > 0) && Date.now() - (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs < 5000) return false;
    await rm(path, { recursive: true, force: true });
  }
  return false;
}

function systemUids(): Set<number> {
  const uids = new Set<number>();
  for (const file of ['/etc/passwd', '/etc/group']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const id = Number(line.split(':')[2]);
      if (Number.isInteger(id)) uids.add(id);
    }
  }
  return uids;
}
