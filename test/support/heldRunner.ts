// A Runner stand-in that accepts every run and never finishes it, so concurrency places stay taken.
import type { Runner, RunHandle } from '../../src/runner/index.js';

export function heldRunner(): Runner {
  let n = 0;
  return {
    backendName: 'held',
    health: () => ({ name: 'held', ok: true, detail: 'holds every run' }),
    submit: () => {
      const handle: RunHandle = {
        id: String(++n),
        events: async function* () {},
        on: () => () => undefined,
        result: new Promise(() => undefined),
        queuePosition: () => 1,
        queueEtaMs: () => null,
        cancel: () => undefined,
      };
      return { ok: true, handle };
    },
    stats: () => ({ running: 0, queued: 0, capacity: 1, gated: false }),
    observe: () => () => undefined,
    reportRefusal: () => undefined,
    stop: async () => undefined,
  };
}
