// The host programs the launcher chain uses, resolved to absolute paths once at start-up.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

export interface Tools {
  /** The launcher's first step (closes stray descriptors, joins cgroups): bash, as dash cannot close fds above 9. */
  bash: string;
  prlimit: string;
  setpriv: string;
  bwrap: string;
  kill: string;
  /** Runs inside the sandbox as pid 1; must be statically linked (the sandbox has no loader path for it). */
  'tini-static': string;
}

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const PACKAGES: Record<keyof Tools, string> = {
  bash: 'bash',
  prlimit: 'util-linux',
  setpriv: 'util-linux',
  bwrap: 'bubblewrap',
  kill: 'procps',
  'tini-static': 'tini',
};

export async function resolveTools(): Promise<Tools> {
  const found: Partial<Tools> = {};
  const missing: string[] = [];
  for (const name of Object.keys(PACKAGES) as (keyof Tools)[]) {
    const path = await which(name);
    if (path) found[name] = path;
    else missing.push(`${name} (Debian package ${PACKAGES[name]})`);
  }
  if (missing.length > 0) {
    throw new Error(
      `the local sandbox needs ${missing.join(', ')}: install with apt-get, or run README's setup command`,
    );
  }
  return found as Tools;
}

async function which(name: string): Promise<string | null> {
  for (const dir of SEARCH) {
    const path = join(dir, name);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // keep looking
    }
  }
  return null;
}
