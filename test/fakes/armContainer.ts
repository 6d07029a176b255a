// The ARM fake's "container": the sandbox image's entry script (container/entry.sh) run on this machine
// the way a container runtime runs it, with the group's environment, so it downloads from Azurite through
// the SAS URLs, runs the code through the runner host and uploads its result, as the real container does.
//
// bubblewrap stands in for the runtime, with what the container side relies on:
// - root with Docker's default capabilities (ACI starts an image without USER as root; its capability
//   set is presumably Docker's): entry.sh drops to the sandbox user in one-shot mode, and a worker gives
//   each run a uid of its own;
// - its own PID namespace, the entry as pid 1: a worker kills a run by uid, which must find only this
//   container's processes, and the container ends when pid 1 does (killContainer);
// - its own IPC namespace, /tmp, /var/tmp, /dev/shm and /dev/mqueue: what one container leaves there is
//   invisible to another (and gone with it);
// - the image at /sharpbox, read-only;
// - the rest of this machine visible read-only, like an image's files (a read-only root, as
//   `docker run --read-only` gives): a worker scans the writable mounts for world-writable directories
//   at start, and this machine's whole disk is not what a container's image holds. Read-only binds of
//   each top-level entry onto bubblewrap's own root (not `--dev-bind / /`) also keep the /sharpbox mount
//   point off this machine's root;
// - this machine's network: the container reaches Azurite on 127.0.0.1 (plain http, as the tests run it:
//   the host's HttpClient needs no test CA; the system's CA store is visible through /etc if it did).
//
// Two fake containers share one kernel and one user namespace, so the same uid in both is one user to
// the kernel: RLIMIT_NPROC counts both containers' processes of it (a real ACI group has its own VM).
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageFile, stageTree } from '../../src/runner/backends/local/stage.js';

/** Docker's default capabilities for a container's root (moby's oci/caps/defaults.go). */
export const CONTAINER_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;

/** What the image's Dockerfile sets with ENV (container/Dockerfile). */
const IMAGE_ENV: Readonly<Record<string, string>> = {
  HOME: '/tmp',
  TMPDIR: '/tmp',
  DOTNET_CLI_TELEMETRY_OPTOUT: '1',
  DOTNET_NOLOGO: '1',
  DOTNET_EnableDiagnostics: '0',
  DOTNET_TieredPGO: '0',
};

/** Where the image's files are in the container (the Dockerfile's COPY targets). */
const IMAGE_MOUNT = '/sharpbox';

/** Top-level entries the container gets its own of instead of this machine's. */
const OWN_MOUNTS = new Set(['proc', 'dev', 'tmp', IMAGE_MOUNT.slice(1)]);

export interface ContainerEnvVar {
  name: string;
  value?: string;
  secureValue?: string;
}

/** One entry of this machine's root directory, as the container's root shows it. */
export type HostEntry = { name: string; kind: 'bind' } | { name: string; kind: 'symlink'; target: string };

/** This machine's root directory: directories and files bound, symlinks recreated (a bind would follow them). */
export function hostRoot(): HostEntry[] {
  return readdirSync('/')
    .filter((name) => !OWN_MOUNTS.has(name))
    .sort()
    .map((name): HostEntry =>
      lstatSync(`/${name}`).isSymbolicLink()
        ? { name, kind: 'symlink', target: readlinkSync(`/${name}`) }
        : { name, kind: 'bind' },
    );
}

/** The bwrap argv of a container of `image` (a staged image dir) over this machine's root entries. */
export function containerArgs(image: string, root: readonly HostEntry[]): string[] {
  const world = (path: string) => ['--perms', '1777', '--tmpfs', path];
  return [
    '--unshare-pid',
    '--unshare-ipc',
    '--as-pid-1',
    '--die-with-parent',
    '--cap-drop',
    'ALL',
    ...CONTAINER_CAPABILITIES.flatMap((c) => ['--cap-add', c]),
    ...root.flatMap((e) =>
      e.kind === 'symlink' ? ['--symlink', e.target, `/${e.name}`] : ['--ro-bind', `/${e.name}`, `/${e.name}`],
    ),
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    ...world('/tmp'),
    ...world('/var/tmp'),
    ...world('/dev/shm'),
    '--mqueue',
    '/dev/mqueue',
    '--ro-bind',
    image,
    IMAGE_MOUNT,
    // The image sets no WORKDIR.
    '--chdir',
    '/',
    '--',
    `${IMAGE_MOUNT}/entry.sh`,
  ];
}

/** Starts the image's entry script with the group's environment; `onExit` gets the code a container would. */
export function startContainer(
  image: string,
  vars: readonly ContainerEnvVar[],
  onOutput: (text: string) => void,
  onExit: (exitCode: number) => void,
): ChildProcess {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...IMAGE_ENV };
  for (const e of vars) env[e.name] = e.value ?? e.secureValue ?? '';
  const child = spawn('bwrap', containerArgs(image, hostRoot()), {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: killContainer ends bwrap and the container's pid 1 together.
    detached: true,
  });
  child.stdout?.on('data', (d: Buffer) => onOutput(d.toString()));
  child.stderr?.on('data', (d: Buffer) => onOutput(d.toString()));
  child.on('exit', (code, signal) => onExit(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  return child;
}

/**
 * Kills the whole "container": its process group holds bwrap and the container's pid 1, and the kernel
 * ends every other process of a PID namespace when its pid 1 dies, wherever they moved to.
 */
export function killContainer(child: ChildProcess | null): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** The image's files in a fresh root-owned temp dir, readable by the container's unprivileged users. */
export async function stageContainerImage(containerDir: string): Promise<string> {
  const image = await mkdtemp(join(tmpdir(), 'sharpbox-arm-image-'));
  try {
    // mkdtemp makes it 0700; it is bound at /sharpbox, where the sandbox user and each run's uid read it.
    await chmod(image, 0o755);
    await stageFile(join(containerDir, 'entry.sh'), join(image, 'entry.sh'));
    await stageTree(join(containerDir, 'bin', 'host'), join(image, 'host'));
    return image;
  } catch (err) {
    await rm(image, { recursive: true, force: true });
    throw err;
  }
}
