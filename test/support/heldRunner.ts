// A Runner stand-in that accepts every run and finishes one only when a test says so, so concurrency
// places stay taken until then; it can also refuse, as a full queue does, and records what it saw.
import type { Runner, RunHandle } from '../../src/runner/index.js';
import { emptyResult, type Refusal, type RunRequest, type RunResult } from '../../src/runner/types.js';

export interface HeldRuns {
  runner: Runner;
  /** What reached the runner, in order. */
  readonly submitted: RunRequest[];
  /** What fair use refused in front of it, in order. */
  readonly refused: Refusal[];
  /** The requests of those refusals, as reported. */
  readonly refusedRequests: RunRequest[];
  /** Ends the n-th accepted run (from 0). */
  end(n: number, result?: RunResult): void;
  /** While set, the runner refuses every run with it. */
  refuseWith: Refusal | null;
}

export function heldRuns(): HeldRuns {
  const ends: ((r: RunResult) => void)[] = [];
  const held: HeldRuns = {
    submitted: [],
    refused: [],
    refusedRequests: [],
    refuseWith: null,
    end: (n, result = emptyResult('ok', null)) => ends[n]?.(result),
    runner: {
      backendName: 'held',
      health: () => ({ name: 'held', ok: true, detail: 'holds every run' }),
      submit: (request) => {
        held.submitted.push(request);
        if (held.refuseWith) return held.refuseWith;
        const handle: RunHandle = {
          id: String(ends.length + 1),
          events: async function* () {},
          on: () => () => undefined,
          result: new Promise((resolve) => ends.push(resolve)),
          queuePosition: () => 1,
          queueEtaMs: () => null,
          cancel: () => undefined,
        };
        return { ok: true, handle };
      },
      stats: () => ({ running: 0, queued: 0, capacity: 1, gated: false }),
      observe: () => () => undefined,
      reportRefusal: (refusal, request) => {
        held.refused.push(refusal);
        held.refusedRequests.push(request);
      },
      stop: async () => undefined,
    },
  };
  return held;
}

/** Accepts every run and never finishes one. */
export function heldRunner(): Runner {
  return heldRuns().runner;
}
