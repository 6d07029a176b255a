// A LaunchedSandbox with no process behind it: a test writes what the program would (stdout, stderr,
// notes on fd 4), reads what the service handed over (fd 3, stdin), and sees every kill. A kill ends the
// fake as SIGKILL ends bwrap (exit 137, pipes closed), so a run the service forgets to kill runs on
// until its wall clock, as a real one would.
import { PassThrough } from 'node:stream';
import type { LaunchedSandbox, SandboxExit } from '../../src/runner/backends/local/launcher.js';

export class FakeSandbox implements LaunchedSandbox {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly control = new PassThrough();
  readonly notes = new PassThrough();
  readonly closed: Promise<SandboxExit>;
  /** performance.now() of every kill() call, in order. */
  readonly kills: number[] = [];
  private finish!: (exit: SandboxExit) => void;
  private ended = false;

  constructor() {
    this.closed = new Promise((resolve) => (this.finish = resolve));
  }

  get killed(): boolean {
    return this.kills.length > 0;
  }

  kill(): void {
    this.kills.push(performance.now());
    this.exit(137);
  }

  /** What the program (or the host inside) writes; nothing once the sandbox is gone, as a dead process writes nothing. */
  write(stream: 'stdout' | 'stderr' | 'notes', data: string | Buffer): void {
    if (!this.ended) this[stream].write(data);
  }

  /** The program (or the runtime) ends by itself with this code. */
  exit(exitCode: number): void {
    if (this.ended) return;
    this.ended = true;
    for (const s of [this.stdout, this.stderr, this.notes]) s.end();
    this.finish({ exitCode, killedBy: null });
  }

  /** Everything written to a pipe the service writes into, once the service has ended it. */
  static async drain(stream: PassThrough): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
}
