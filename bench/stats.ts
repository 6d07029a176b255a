// Small helpers for the benchmark: timing, percentiles, memory readings, child processes.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function ms(n: number): string {
  return `${n.toFixed(n < 10 ? 1 : 0)} ms`;
}

export function mb(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${(bytes / 1e6).toFixed(0)} MB`;
}

/** Resident set size of a process, from /proc. */
export async function rssOf(pid: number | null): Promise<number | null> {
  if (!pid) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return Number.isFinite(kb) ? kb * 1024 : null;
}

export interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}
