// Everything the sandbox container is told, in one place: each limit the user is promised travels from
// Config to the container here, and container/entry.sh and container/host/OneShot.cs require every one
// of them (no defaults of their own that could drift from what users are told).
//
// Three kinds of container: a cold one gets its whole run in its environment; a warm pool member starts
// with what entry.sh applies before the host runs (the rlimits of the whole container) and waits for an
// assignment blob that carries the rest (assignmentEnv), written when a run takes it; a worker serves
// runs one after another, each from a job blob (workerJob) that also names the next one, each under a
// user of its own (container/host/Worker.cs; the contract is in README "Worker mode").
import type { RunLimits } from '../../../config.js';
import type { CompileOptions } from '../../types.js';

/** Exit codes of the one-shot host (OneShot.cs, Program.cs) and entry.sh that are not the program's. */
export const CONTAINER_EXIT = {
  /** sysexits' EX_NOPERM: storage answered 403 to a SAS URL (it expired or was revoked). */
  storageDenied: 77,
  /** sysexits' EX_CONFIG: a variable below was missing (an image that does not match this service). */
  missingSetting: 78,
} as const;

/**
 * The host's own tasks (the runtime, Roslyn's parallel compile, HTTP), on top of the program's: RLIMIT_NPROC
 * counts every task of the container's one user, so entry.sh caps the whole container at this plus the
 * program's limit, and the host gives the program only its own share (OneShot.cs).
 */
export const HOST_TASKS = 128;

/** A run's blobs as the container reaches them: SAS URLs (no stdin URL when there is no stdin). */
export interface RunUrls {
  source: string;
  stdin: string | null;
  result: string;
}

export type EnvVar = { name: string; value: string } | { name: string; secureValue: string };

export type ContainerJob =
  /** A cold container: the run is in its environment. */
  | { kind: 'run'; timeoutMs: number; urls: RunUrls; options?: CompileOptions }
  /** A warm pool member: it waits up to waitMs (from its own start) for the assignment blob. */
  | { kind: 'pool-member'; assignmentUrl: string; waitMs: number }
  /** A worker: it serves at most maxRuns runs, takes none after lifetimeMs (from its own start), starting with the job at jobUrl. */
  | { kind: 'worker'; jobUrl: string; maxRuns: number; lifetimeMs: number };

/** What entry.sh applies to the whole container (prlimit) before the host starts, and the host's mode. */
function startVars(limits: RunLimits, mode: 'oneshot' | 'worker'): Record<string, string> {
  return {
    // oneshot: one run (entry.sh drops to the image's sandbox user, OneShot.cs); worker: Worker.cs as root.
    SHARPBOX_MODE: mode,
    SHARPBOX_CONTAINER_TASKS: String(limits.maxProcesses + HOST_TASKS),
    // The local sandbox caps its /tmp at this size; a container has no tmpfs, so the cap is per file.
    SHARPBOX_FILE_BYTES: String(limits.tmpfsBytes),
  };
}

/** What the host needs for one run (a cold container's environment, or a member's assignment). */
function runVars(
  limits: RunLimits,
  timeoutMs: number,
  urls: RunUrls,
  options: CompileOptions = {},
): Record<string, string> {
  return {
    // The run's own compile choices, not limits: absent, the host's defaults (OneShot.cs, WorkerJob.cs).
    // The runner has checked their shape (letters, digits, dots), so a value cannot break the variable.
    ...(options.optimize === undefined ? {} : { SHARPBOX_OPTIMIZE: options.optimize }),
    ...(options.langVersion === undefined ? {} : { SHARPBOX_LANG_VERSION: options.langVersion }),
    SHARPBOX_TIMEOUT_MS: String(timeoutMs),
    SHARPBOX_COMPILE_TIMEOUT_MS: String(limits.compileTimeoutMs),
    SHARPBOX_OUTPUT_BYTES: String(limits.outputBytes),
    SHARPBOX_MEMORY_BYTES: String(limits.memoryBytes),
    // Threads and processes of the program itself (the host applies it to the program's process only).
    SHARPBOX_MAX_PROCESSES: String(limits.maxProcesses),
    SHARPBOX_SOURCE_URL: urls.source,
    SHARPBOX_HAS_STDIN: urls.stdin === null ? 'false' : 'true',
    ...(urls.stdin === null ? {} : { SHARPBOX_STDIN_URL: urls.stdin }),
    SHARPBOX_RESULT_URL: urls.result,
  };
}

/** The container group's environment variables; every SAS URL only as a secure value (never echoed by ARM). */
export function containerEnv(limits: RunLimits, job: ContainerJob): EnvVar[] {
  const vars =
    job.kind === 'run'
      ? { ...startVars(limits, 'oneshot'), ...runVars(limits, job.timeoutMs, job.urls, job.options) }
      : job.kind === 'pool-member'
        ? {
            ...startVars(limits, 'oneshot'),
            SHARPBOX_ASSIGNMENT_URL: job.assignmentUrl,
            SHARPBOX_WAIT_MS: String(job.waitMs),
          }
        : {
            ...startVars(limits, 'worker'),
            SHARPBOX_JOB_URL: job.jobUrl,
            SHARPBOX_MAX_RUNS: String(job.maxRuns),
            SHARPBOX_LIFETIME_MS: String(job.lifetimeMs),
          };
  return Object.entries(vars).map(([name, value]) =>
    name.endsWith('_URL') ? { name, secureValue: value } : { name, value },
  );
}

/** The assignment a warm pool member reads: the run, as a cold container would have it in its environment. */
export function assignmentEnv(
  limits: RunLimits,
  timeoutMs: number,
  urls: RunUrls,
  options: CompileOptions = {},
): Record<string, string> {
  return runVars(limits, timeoutMs, urls, options);
}

/** A worker's job: the run as an assignment has it, where the next job will be, and how to cancel this one. */
export function workerJob(
  limits: RunLimits,
  timeoutMs: number,
  urls: RunUrls,
  job: { runId: string; nextJobUrl: string; cancelUrl: string },
  options: CompileOptions = {},
): Record<string, string> {
  return {
    ...runVars(limits, timeoutMs, urls, options),
    SHARPBOX_NEXT_JOB_URL: job.nextJobUrl,
    SHARPBOX_CANCEL_URL: job.cancelUrl,
    SHARPBOX_RUN_ID: job.runId,
  };
}
