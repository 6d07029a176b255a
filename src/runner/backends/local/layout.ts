// Works out, once at start-up, which host paths the sandbox needs to see: the dotnet muxer, hostfxr and
// the Microsoft.NETCore.App runtime (not the SDK), the system's shared libraries (libc, libstdc++,
// OpenSSL, ICU), time zone data, and the runner host. Nothing else of the host is visible: no /etc,
// /home, /root, /tmp, /var, /usr/bin, no project tree. /etc holds only a passwd and group of our own.
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SANDBOX_INIT, type Bind, type SandboxLayout, type Symlink } from './bwrapArgs.js';

export const SANDBOX_DOTNET_ROOT = '/usr/share/dotnet';
export const SANDBOX_HOST_DIR = '/sandbox/host';

export interface LayoutInput {
  dotnetRoot: string;
  hostDir: string;
  /** passwd and group naming the sandbox's one user, so Environment.UserName and friends work. */
  etcDir: string;
  /** A statically linked init (tini-static) for pid 1 of the sandbox. */
  init: string;
  /** Debian's multiarch triplet, e.g. x86_64-linux-gnu. */
  multiarch: string;
}

export function multiarchFor(arch: string): string {
  switch (arch) {
    case 'x64':
      return 'x86_64-linux-gnu';
    case 'arm64':
      return 'aarch64-linux-gnu';
    default:
      throw new Error(`unsupported architecture for the local sandbox: ${arch}`);
  }
}

export function sandboxLayout(input: LayoutInput): SandboxLayout {
  const roBinds: Bind[] = [];
  const symlinks: Symlink[] = [];
  const must = (src: string, dest: string): void => {
    if (!existsSync(src)) throw new Error(`the sandbox needs ${src}, which does not exist`);
    roBinds.push({ src, dest });
  };
  const may = (src: string, dest: string): void => {
    if (existsSync(src)) roBinds.push({ src, dest });
  };

  must(join(input.dotnetRoot, 'dotnet'), join(SANDBOX_DOTNET_ROOT, 'dotnet'));
  must(join(input.dotnetRoot, 'host'), join(SANDBOX_DOTNET_ROOT, 'host'));
  must(
    join(input.dotnetRoot, 'shared', 'Microsoft.NETCore.App'),
    join(SANDBOX_DOTNET_ROOT, 'shared', 'Microsoft.NETCore.App'),
  );
  if (!existsSync(join(input.hostDir, 'sharpbox-host.dll'))) {
    throw new Error(
      `no runner host in ${input.hostDir}: build it with \`npm run build:host\` (README's first command does)`,
    );
  }
  must(input.init, SANDBOX_INIT);
  // The host's directory whole: its dll, Roslyn, the reference pack and the allowed packages (packages/,
  // container/packages), all read-only: a run can neither plant a package nor change one.
  must(input.hostDir, SANDBOX_HOST_DIR);

  must(`/usr/lib/${input.multiarch}`, `/usr/lib/${input.multiarch}`);
  // The dynamic loader is reached as /lib64/ld-linux-x86-64.so.2. On merged-/usr systems /lib and /lib64
  // are links into /usr and the sandbox gets the same links (only /usr/lib64, which holds the loader's
  // link, is bound besides the triplet directory); elsewhere the real directories are bound.
  if (isLink('/lib')) symlinks.push({ target: readlinkSync('/lib'), path: '/lib' });
  else may(`/lib/${input.multiarch}`, `/lib/${input.multiarch}`);
  if (isLink('/lib64')) {
    may('/usr/lib64', '/usr/lib64');
    symlinks.push({ target: readlinkSync('/lib64'), path: '/lib64' });
  } else {
    may('/lib64', '/lib64');
  }
  may('/usr/share/zoneinfo', '/usr/share/zoneinfo');
  must(join(input.etcDir, 'passwd'), '/etc/passwd');
  must(join(input.etcDir, 'group'), '/etc/group');
  return { roBinds, symlinks };
}

function isLink(path: string): boolean {
  return existsSync(path) && lstatSync(path).isSymbolicLink();
}
