// Stages what the sandbox binds from the service's own tree (the runner host, its passwd/group) into a
// neutral place under the state dir, so the sandbox's /proc/self/mountinfo names that place and not
// where the service is checked out. Hard links where the state dir shares the filesystem (no copy), a
// copy otherwise (about 16 MB).
//
// The staged tree is what the sandbox uids read, and they are not root: it must be readable by anyone
// however the checkout was made. A checkout in a folder only root can enter, or built under umask 077
// (files 0600), is fine for the service and useless to a sandbox; so every staged directory is 0755 and
// every staged file 0644 (0755 if executable), set explicitly because mkdir's and copyFile's modes pass
// through the service's umask.
import { chmod, copyFile, link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
  const closed = await firstUnsearchable(stateDir);
  if (closed) {
    throw new Error(
      `the sandbox uids cannot reach the state dir ${stateDir}: ${closed} is closed to other users; choose a SANDBOX_STATE_DIR every user can traverse (the default is /run/sharpbox)`,
    );
  }
  await sweepStale(stateDir);
  const root = join(stateDir, `image-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  await makeDir(root);
  const staged = { hostDir: join(root, 'host'), etcDir: join(root, 'etc') };
  await stageTree(hostDir, staged.hostDir);
  await stageTree(etcDir, staged.etcDir);
  return { ...staged, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Recreates the tree at `from` under `to` (which must not exist), readable by every user. Symlinks are left out. */
export async function stageTree(from: string, to: string): Promise<void> {
  await makeDir(to);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) await stageTree(src, dst);
    else if (entry.isFile()) await stageFile(src, dst);
  }
}

/** One file, readable by every user (and executable by every user if it was executable at all). */
export async function stageFile(src: string, dst: string): Promise<void> {
  const { mode } = await stat(src);
  const executable = (mode & 0o111) !== 0;
  const othersNeed = executable ? 0o005 : 0o004;
  // A link is the same inode, modes included, so only a file others can already use is linked: changing
  // the link's mode would change the checkout's file.
  if ((mode & othersNeed) === othersNeed) {
    try {
      await link(src, dst);
      return;
    } catch {
      // another filesystem, or a read-only mount: copy
    }
  }
  await copyFile(src, dst);
  await chmod(dst, executable ? 0o755 : 0o644);
}

async function makeDir(path: string): Promise<void> {
  await mkdir(path);
  await chmod(path, 0o755);
}

/** The first directory from the root down to `dir` that other users may not pass through, or null. */
export async function firstUnsearchable(dir: string): Promise<string | null> {
  const chain: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of chain) {
    if (((await stat(d)).mode & 0o001) === 0) return d;
  }
  return null;
}

/** Images of services that died without cleaning up. */
async function sweepStale(stateDir: string): Promise<void> {
  for (const name of await readdir(stateDir).catch(() => [] as string[])) {
    const pid = Number(/^image-(\d+)$/.exec(name)?.[1] ?? 0);
    if (pid > 0 && pid !== process.pid && !isAlive(pid))
      await rm(join(stateDir, name), { recursive: true, force: true });
  }
}
