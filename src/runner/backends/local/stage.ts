// Stages what the sandbox binds from the service's own tree (the runner host, its passwd/group) into a
// neutral place under the state dir, so the sandbox's /proc/self/mountinfo names that place and not
// where the service is checked out. Hard links where the state dir shares the filesystem (no copy), a
// copy otherwise (about 16 MB).
import { chmod, copyFile, link, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './proc.js';

export interface Staged {
  hostDir: string;
  etcDir: string;
  remove(): Promise<void>;
}

export async function stageImage(stateDir: string, hostDir: string, etcDir: string): Promise<Staged> {
  // The state dir must be traversable by the sandbox uids (its uids/ claims stay private, 0700).
  await mkdir(stateDir, { recursive: true });
  await chmod(stateDir, 0o755);
  await sweepStale(stateDir);
  const root = join(stateDir, `image-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { mode: 0o755 });
  const staged = { hostDir: join(root, 'host'), etcDir: join(root, 'etc') };
  await mirror(hostDir, staged.hostDir);
  await mirror(etcDir, staged.etcDir);
  return { ...staged, remove: () => rm(root, { recursive: true, force: true }) };
}

async function mirror(from: string, to: string): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) await mirror(src, dst);
    else if (entry.isFile()) {
      try {
        await link(src, dst);
      } catch {
        await copyFile(src, dst);
        await chmod(dst, 0o644);
      }
    }
  }
}

/** Images of services that died without cleaning up. */
async function sweepStale(stateDir: string): Promise<void> {
  for (const name of await readdir(stateDir).catch(() => [] as string[])) {
    const pid = Number(/^image-(\d+)$/.exec(name)?.[1] ?? 0);
    if (pid > 0 && pid !== process.pid && !isAlive(pid)) await rm(join(stateDir, name), { recursive: true, force: true });
  }
}
