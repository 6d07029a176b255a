// A backend with no sandbox behind it, for measuring what is around the runs (the fleet's event path):
// each run compiles for a few ms, runs for the rest of ~20 ms, prints one line and exits 0, so every run
// emits queued, compiling, started, output, done as a real one does, at almost no CPU cost.
import type { BackendRun, SandboxBackend } from '../src/runner/backend.js';
import { emptyResult, type RunResult } from '../src/runner/types.js';

const COMPILE_MS = 5;
const RUN_MS = 15;

export class InstantBackend implements SandboxBackend {
  readonly name = 'instant';
  constructor(readonly capacity: number) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  health(): { ok: boolean; detail: string } {
    return { ok: true, detail: 'instant (bench): no sandbox' };
  }

  execute(run: BackendRun): Promise<RunResult> {
    return new Promise((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      // A cancelled run ends at once, as the real backends' do.
      const onAbort = () => {
        for (const t of timers) clearTimeout(t);
        resolve(emptyResult('cancelled', 'cancelled'));
      };
      run.signal.addEventListener('abort', onAbort, { once: true });
      run.onPhase('compiling');
      timers.push(
        setTimeout(() => {
          run.onPhase('running');
          const line = `${run.id}\n`;
          run.onOutput('stdout', line);
          timers.push(
            setTimeout(() => {
              run.signal.removeEventListener('abort', onAbort);
              resolve({ ...emptyResult('ok', 'exited with code 0'), exitCode: 0, stdout: line });
            }, RUN_MS),
          );
        }, COMPILE_MS),
      );
    });
  }
}
