// A stand-in for the sandbox image that keeps its protocol and leaves out .NET, for the bench's
// ten-minute loads: hundreds of runs at a fair-use rate on a fast clock cannot each start a real
// runtime on two cores, and what those loads measure is Azure's side (quotas, reads, queue waits), not
// the compiler. It speaks exactly what container/host/OneShot.cs and Worker.cs speak
// (src/runner/backends/aci/containerEnv.ts): it requires the same variables, fetches the code through
// the SAS URLs (a 403 ends it with 77), waits the program's simulated time on the fake clock, uploads
// facts of the same shape, and as a worker polls job i, honours its cancel blob, names itself retiring
// after SHARPBOX_MAX_RUNS or its lifetime, and follows SHARPBOX_NEXT_JOB_URL.
import type { ContainerEnvVar } from './armContainer.js';
import type { FakeClock } from './clock.js';

/** What runs a group's container in the ARM fake: the real image (armContainer.ts) or this simulation. */
export interface ContainerRuntime {
  start(
    vars: readonly ContainerEnvVar[],
    onOutput: (text: string) => void,
    onExit: (exitCode: number) => void,
  ): { kill(): void };
}

/** The simulated program: fake milliseconds of compile and of run, and what it prints. */
export interface SimProgram {
  compileMs: number;
  runMs: number;
  stdout: string;
}

const MISSING = 78;
const DENIED = 77;

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function simRuntime(clock: FakeClock, program: SimProgram): ContainerRuntime {
  return {
    start(vars, onOutput, onExit) {
      const env = new Map(vars.map((v) => [v.name, v.value ?? v.secureValue ?? '']));
      const stop = new AbortController();
      const sim = new Sim(clock, program, stop.signal, onOutput);
      void sim
        .main(env)
        .then(
          () => 0,
          (err: unknown) => (err instanceof Exit ? err.code : stop.signal.aborted ? 137 : 70),
        )
        .then((code) => onExit(code));
      return { kill: () => stop.abort() };
    },
  };
}

class Sim {
  constructor(
    private readonly clock: FakeClock,
    private readonly program: SimProgram,
    private readonly signal: AbortSignal,
    private readonly log: (text: string) => void,
  ) {}

  async main(env: Map<string, string>): Promise<void> {
    const need = (name: string): string => {
      const v = env.get(name);
      if (!v) throw new Exit(MISSING);
      return v;
    };
    need('SHARPBOX_CONTAINER_TASKS');
    need('SHARPBOX_FILE_BYTES');
    const mode = need('SHARPBOX_MODE');
    // Durations the service sends are on its clock (real time), as a real container counts them on its own.
    const started = Date.now();
    if (mode === 'worker')
      return this.worker(
        need('SHARPBOX_JOB_URL'),
        Number(need('SHARPBOX_MAX_RUNS')),
        started + Number(need('SHARPBOX_LIFETIME_MS')),
      );
    const assignment = env.get('SHARPBOX_ASSIGNMENT_URL');
    if (assignment) {
      const job = await this.poll(assignment, started + Number(need('SHARPBOX_WAIT_MS')), 100);
      if (!job) return;
      await this.run(new Map(Object.entries(job)), null);
      return;
    }
    await this.run(env, null);
  }

  private async worker(firstJob: string, maxRuns: number, endsAt: number): Promise<void> {
    let url = firstJob;
    for (let n = 1; n <= maxRuns; n++) {
      const job = await this.poll(url, endsAt, 200);
      if (!job) return;
      const vars = new Map(Object.entries(job));
      const next = vars.get('SHARPBOX_NEXT_JOB_URL');
      if (!next) throw new Exit(MISSING);
      const retiring = n >= maxRuns || Date.now() >= endsAt;
      await this.run(vars, { run: n, retiring, why: n >= maxRuns ? 'max-runs' : retiring ? 'lifetime' : null });
      if (retiring) return;
      url = next;
    }
  }

  /** One run: fetch the code, wait its simulated time (cancellable on a worker), upload the facts. */
  private async run(
    vars: Map<string, string>,
    worker: { run: number; retiring: boolean; why: string | null } | null,
  ): Promise<void> {
    const need = (name: string): string => {
      const v = vars.get(name);
      if (!v) throw new Exit(MISSING);
      return v;
    };
    for (const name of [
      'SHARPBOX_TIMEOUT_MS',
      'SHARPBOX_COMPILE_TIMEOUT_MS',
      'SHARPBOX_OUTPUT_BYTES',
      'SHARPBOX_MEMORY_BYTES',
      'SHARPBOX_MAX_PROCESSES',
      'SHARPBOX_HAS_STDIN',
    ])
      need(name);
    const source = await this.get(need('SHARPBOX_SOURCE_URL'));
    if (vars.get('SHARPBOX_HAS_STDIN') === 'true') await this.get(need('SHARPBOX_STDIN_URL'));
    const cancelUrl = worker ? need('SHARPBOX_CANCEL_URL') : null;
    // A test may ask one program to run longer: `// sim-run-ms: N` (Azure time) in its source.
    const runMs = Number(/\/\/ sim-run-ms: (\d+)/.exec(source)?.[1] ?? this.program.runMs);
    const cancelled = await this.wait(this.program.compileMs + runMs, cancelUrl);
    const facts = {
      compile: { ok: true, diagnostics: [] },
      compileMs: this.program.compileMs,
      ...(cancelled
        ? { cancelled: true }
        : {
            exec: {
              exitCode: 0,
              timedOut: false,
              outputExceeded: false,
              stdout: this.program.stdout,
              stderr: '',
              notes: '',
              wallMs: runMs,
            },
          }),
      ...(worker ? { worker } : {}),
    };
    const res = await fetch(need('SHARPBOX_RESULT_URL'), {
      method: 'PUT',
      body: JSON.stringify(facts),
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/json' },
      signal: this.signal,
    });
    if (res.status === 403) throw new Exit(DENIED);
    if (!res.ok) throw new Error(`result upload: ${res.status}`);
  }

  /** Waits `fakeMs` on the fake clock; true when the cancel blob appeared first (checked every 500 ms as Worker.cs does). */
  private async wait(fakeMs: number, cancelUrl: string | null): Promise<boolean> {
    const until = this.clock.now() + fakeMs;
    while (this.clock.now() < until) {
      await sleep(Math.min(this.clock.realMs(until - this.clock.now()), 500), this.signal);
      if (cancelUrl) {
        const res = await fetch(cancelUrl, { signal: this.signal });
        await res.arrayBuffer();
        if (res.status === 200) return true;
      }
    }
    return false;
  }

  /** Polls a job or assignment URL (404: not yet) until it is there or `endsAt` (real time) has passed. */
  private async poll(url: string, endsAt: number, everyMs: number): Promise<Record<string, string> | null> {
    while (Date.now() < endsAt) {
      const res = await fetch(url, { signal: this.signal }).catch(() => null);
      if (res?.status === 200) return (await res.json()) as Record<string, string>;
      await res?.arrayBuffer();
      if (res?.status === 403) throw new Exit(DENIED);
      await sleep(everyMs, this.signal);
    }
    this.log('no job came within the lifetime\n');
    return null;
  }

  private async get(url: string): Promise<string> {
    const res = await fetch(url, { signal: this.signal });
    if (res.status === 403) throw new Exit(DENIED);
    if (!res.ok) throw new Error(`download: ${res.status}`);
    return res.text();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('killed'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error('killed'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
