// The ARM fake's "container": the sandbox image's entry script (container/entry.sh) run on this machine,
// as an unprivileged user, with the group's environment, so it downloads from Azurite through the SAS
// URL, runs the code through the runner host and uploads its result, as the real container does.
//
// The "container" runs as an unprivileged user, which may not be able to read the checkout (a folder
// only root can enter, a umask-077 build). So the fake builds its "image" first, as the Dockerfile
// does: the entry script and the runner host staged into a root-owned, world-readable temp dir
// (/sharpbox/entry.sh and /sharpbox/host in the real image), with the staging the local backend uses
// for its own sandbox, and removed on stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { firstUnsearchable, stageFile, stageTree } from '../../src/runner/backends/local/stage.js';

/** The "container" user (nobody): unprivileged, as the image's own user is. */
const CONTAINER_ID = 65534;

export interface ContainerEnvVar {
  name: string;
  value?: string;
  secureValue?: string;
}

/** Starts the image's entry script with the group's environment; `onExit` gets the code a container would. */
export function startContainer(image: string, vars: readonly ContainerEnvVar[], onOutput: (text: string) => void, onExit: (exitCode: number) => void): ChildProcess {
  // The container's own /tmp (its HOME and TMPDIR): what it writes there goes with it, as a real
  // container's files do, instead of piling up in the host's /tmp.
  const scratch = mkdtempSync(join(image, 'tmp-'));
  chownSync(scratch, CONTAINER_ID, CONTAINER_ID);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, TMPDIR: scratch, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', SHARPBOX_HOST_DLL: join(image, 'host', 'sharpbox-host.dll') };
  for (const e of vars) env[e.name] = e.value ?? e.secureValue ?? '';
  // As an unprivileged user: this "container" is the host, and RLIMIT_NPROC only binds non-root users.
  const child = spawn('setpriv', [`--reuid=${CONTAINER_ID}`, `--regid=${CONTAINER_ID}`, '--clear-groups', '--', join(image, 'entry.sh')], {
    env,
    // The image sets no WORKDIR; and the test's own directory may be closed to this user.
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (d: Buffer) => onOutput(d.toString()));
  child.stderr?.on('data', (d: Buffer) => onOutput(d.toString()));
  child.on('exit', (code, signal) => {
    void rm(scratch, { recursive: true, force: true });
    onExit(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15));
  });
  return child;
}

/** Kills the whole "container" (its process group). */
export function killContainer(child: ChildProcess | null): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** The image's files in a fresh root-owned temp dir that the unprivileged "container" user can read. */
export async function stageContainerImage(containerDir: string): Promise<string> {
  const image = await mkdtemp(join(tmpdir(), 'sharpbox-arm-image-'));
  try {
    const closed = await firstUnsearchable(dirname(image));
    if (closed) throw new Error(`the fake ARM's image must be readable by an unprivileged user, but ${closed} is closed to others: point TMPDIR elsewhere`);
    // mkdtemp makes it 0700.
    await chmod(image, 0o755);
    await stageFile(join(containerDir, 'entry.sh'), join(image, 'entry.sh'));
    await stageTree(join(containerDir, 'bin', 'host'), join(image, 'host'));
    return image;
  } catch (err) {
    await rm(image, { recursive: true, force: true });
    throw err;
  }
}
