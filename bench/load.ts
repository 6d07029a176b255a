// Fair use under load: 200 submissions from 50 users within 10 s through the limiter and the real
// sandbox. Every one must be answered (ran or refused), nothing may crash, memory must come back down.
import type { Config } from '../src/config.js';
import type { Runner } from '../src/runner/index.js';
import { FairRunner } from '../src/runner/limits.js';
import { openStore } from '../src/runner/store.js';

export interface LoadOutcome {
  /** Submissions that came back with an answer (a result or a refusal), counted one by one. */
  answered: number;
  /** Submissions whose promise rejected: a crash in the runner or the limiter. */
  crashed: number;
  ran: number;
  refused: number;
  failed: number;
  seconds: number;
  rssBefore: number;
  rssAfter: number;
  /** The JS heap in use, after a full GC: what would grow if anything leaked. */
  heapBefore: number;
  heapAfter: number;
}

export async function fairUseLoad(runner: Runner, config: Config): Promise<LoadOutcome> {
  const store = await openStore('memory://');
  const fair = new FairRunner(runner, store.admissions, config.fairUse);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const answers: Promise<'ran' | 'refused' | 'failed'>[] = [];
  for (let i = 0; i < 200; i++) {
    // Five heavy users send 16 each, the other 45 a few each: the heavy ones meet their limit.
    const user = `load-user-${i < 80 ? i % 5 : i % 50}`;
    const guild = `load-guild-${i % 5}`;
    answers.push(
      fair.submit({ source: `Console.WriteLine(${i});` }, { user, guild }).then(async (s) => {
        if (!s.ok) return 'refused';
        const r = await s.handle.result;
        return r.status === 'ok' ? 'ran' : 'failed';
      }),
    );
    await new Promise((r) => setTimeout(r, 45)); // 200 over 9 s
  }
  const settled = await Promise.allSettled(answers);
  const outcomes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const seconds = (performance.now() - started) / 1000;
  global.gc?.();
  await new Promise((r) => setTimeout(r, 500));
  global.gc?.();
  const rssAfter = process.memoryUsage().rss;
  const heapAfter = process.memoryUsage().heapUsed;
  await store.close();
  return {
    answered: outcomes.filter((o) => o === 'ran' || o === 'refused' || o === 'failed').length,
    crashed: settled.filter((s) => s.status === 'rejected').length,
    ran: outcomes.filter((o) => o === 'ran').length,
    refused: outcomes.filter((o) => o === 'refused').length,
    failed: outcomes.filter((o) => o === 'failed').length,
    seconds,
    rssBefore,
    rssAfter,
    heapBefore,
    heapAfter,
  };
}
