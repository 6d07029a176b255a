// The docker CLI for the image tests and the bench: argv arrays, a deadline on every call, and the tags
// scripts/docker-build.sh gives the two images.
import { spawn } from 'node:child_process';

export const SERVICE_IMAGE = 'sharpbox:test';
export const SANDBOX_IMAGE = 'sharpbox-sandbox:test';

export interface DockerOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The deadline passed and the CLI was killed (a container it started may still run: remove it). */
  timedOut: boolean;
}

export function docker(args: string[], timeoutMs: number): Promise<DockerOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Removes a container in any state (killing the CLI that started it does not stop it). */
export async function removeContainer(name: string): Promise<void> {
  await docker(['rm', '-f', '-v', name], 30_000);
}

/** Set by scripts/docker-build.sh on both images: the runtime base they were built on. */
export const RUNTIME_BASE_LABEL = 'sharpbox.runtime-base';

/** The image's size in bytes and runtime base, or null when it is not built (or no engine answers). */
export async function imageFacts(tag: string): Promise<{ bytes: number; runtimeBase: string } | null> {
  const format = `{{.Size}} {{index .Config.Labels "${RUNTIME_BASE_LABEL}"}}`;
  const r = await docker(['image', 'inspect', '--format', format, tag], 30_000).catch(() => null);
  if (r?.code !== 0) return null;
  const [size = '', base = ''] = r.stdout.trim().split(' ');
  return { bytes: Number(size), runtimeBase: base === '<no value>' ? 'unknown' : base };
}
