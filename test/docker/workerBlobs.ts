// One worker's blobs as the service lays them out (the worker protocol): job i at
// workers/<id>/job-<i>.json, and beside it each run's code, stdin, result and cancel blob. A job's fields
// are assignmentEnv()'s plus the next job's URL, the cancel blob's URL and the run's id; until
// containerEnv.ts builds them (workerJob()), they are built here from the contract. Every URL is a SAS
// made by the backend's own clients.
import { randomUUID } from 'node:crypto';
import type { RunLimits } from '../../src/config.js';
import type { AciClients } from '../../src/runner/backends/aci/clients.js';
import { assignmentEnv, HOST_TASKS } from '../../src/runner/backends/aci/containerEnv.js';
import type { ContainerFacts } from '../../src/runner/backends/aci/facts.js';

/** Long enough for any test here; the service's own SAS lifetimes are not what these tests check. */
const SAS_MINUTES = 30;
const RESULT_POLL_MS = 100;

/** A run's facts from a worker: today's facts plus the worker's fields. */
export interface WorkerRunFacts extends ContainerFacts {
  cancelled?: boolean;
  worker?: { run: number; retiring: boolean; why: 'max-runs' | 'lifetime' | 'limit-hit' | 'cleanup-failed' | null };
}

export interface JobOptions {
  stdin?: string;
  timeoutMs?: number;
  /** Leave this field out of the job (a job the worker must refuse). */
  without?: string;
}

export class WorkerBlobs {
  readonly id = randomUUID();

  constructor(
    private readonly clients: AciClients,
    private readonly limits: RunLimits,
  ) {}

  /** The worker group's environment, as containerEnv(limits, { kind: 'worker', ... }) is to give it. */
  async env(maxRuns: number, lifetimeMs: number): Promise<Record<string, string>> {
    return {
      SHARPBOX_MODE: 'worker',
      SHARPBOX_CONTAINER_TASKS: String(this.limits.maxProcesses + HOST_TASKS),
      SHARPBOX_FILE_BYTES: String(this.limits.tmpfsBytes),
      SHARPBOX_JOB_URL: await this.jobUrl(1),
      SHARPBOX_MAX_RUNS: String(maxRuns),
      SHARPBOX_LIFETIME_MS: String(lifetimeMs),
    };
  }

  /** A read SAS of job i's blob (it need not exist yet: the worker polls it). */
  jobUrl(i: number): Promise<string> {
    return this.clients.sasUrl(this.blob(`job-${i}.json`), 'r', SAS_MINUTES);
  }

  /** Assigns run i: its code (and stdin) first, then the job blob the worker is polling for. */
  async assign(i: number, source: string, options: JobOptions = {}): Promise<void> {
    const run = (name: string) => this.blob(`run-${i}/${name}`);
    await run('Program.cs').upload(source, Buffer.byteLength(source));
    if (options.stdin) await run('stdin.txt').upload(options.stdin, Buffer.byteLength(options.stdin));
    const [source_, stdin, result, nextJob, cancel] = await Promise.all([
      this.clients.sasUrl(run('Program.cs'), 'r', SAS_MINUTES),
      options.stdin ? this.clients.sasUrl(run('stdin.txt'), 'r', SAS_MINUTES) : null,
      this.clients.sasUrl(run('result.json'), 'cw', SAS_MINUTES),
      this.jobUrl(i + 1),
      this.clients.sasUrl(run('cancel'), 'r', SAS_MINUTES),
    ]);
    const fields: Record<string, string> = {
      ...assignmentEnv(this.limits, options.timeoutMs ?? this.limits.timeoutMs, { source: source_, stdin, result }),
      SHARPBOX_NEXT_JOB_URL: nextJob,
      SHARPBOX_CANCEL_URL: cancel,
      SHARPBOX_RUN_ID: `${this.id.slice(0, 8)}-${i}`,
    };
    if (options.without) delete fields[options.without];
    const job = JSON.stringify(fields);
    await this.blob(`job-${i}.json`).upload(job, Buffer.byteLength(job));
  }

  /** Creates run i's cancel blob, as the service does to cancel it. */
  async cancel(i: number): Promise<void> {
    await this.blob(`run-${i}/cancel`).upload('', 0);
  }

  /** Run i's facts once uploaded, or null if none came within `timeoutMs`. */
  async result(i: number, timeoutMs: number): Promise<WorkerRunFacts | null> {
    const deadline = Date.now() + timeoutMs;
    const blob = this.blob(`run-${i}/result.json`);
    while (Date.now() < deadline) {
      if (await blob.exists()) return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as WorkerRunFacts;
      await new Promise((r) => setTimeout(r, RESULT_POLL_MS));
    }
    return null;
  }

  /** The names of this worker's blobs, without the prefix. */
  async names(): Promise<string[]> {
    const names: string[] = [];
    for await (const b of this.clients.container.listBlobsFlat({ prefix: this.prefix }))
      names.push(b.name.slice(this.prefix.length));
    return names.sort();
  }

  async remove(): Promise<void> {
    for await (const b of this.clients.container.listBlobsFlat({ prefix: this.prefix }))
      await this.clients.container.deleteBlob(b.name);
  }

  private get prefix(): string {
    return `workers/${this.id}/`;
  }

  private blob(name: string) {
    return this.clients.container.getBlockBlobClient(`${this.prefix}${name}`);
  }
}
