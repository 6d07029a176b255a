// The warm compiler: one long-lived `sharpbox-host compile-server` in a sandbox of its own (own uid, own
// memory cgroup, no network), with Roslyn and the reference assemblies loaded once and JIT-warmed.
// Requests go one at a time over stdin/stdout as JSON lines. A compile that runs past its deadline, or
// that makes the server die (out of memory, a crash), is reported for that request alone; the server is
// killed and comes back by itself, and the requests behind it carry on.
import type { Logger } from '../../../log.js';
import { formatBytes } from '../../classify.js';
import { compileTimeoutDiagnostic, sharpboxDiagnostic } from '../../results.js';
import type { Diagnostic } from '../../types.js';
import { parseCompileResponse, type CompileResponse } from './hostProtocol.js';
import type { LaunchedSandbox } from './launcher.js';

export type CompileOutcome =
  | { kind: 'compiled'; response: CompileResponse; ms: number }
  | { kind: 'failed'; diagnostic: Diagnostic; ms: number }
  | { kind: 'cancelled' };

export interface CompileServer {
  sandbox: LaunchedSandbox;
  /** Whether the server's memory cgroup saw an OOM kill (null without cgroups). */
  oomKilled(): Promise<boolean>;
  /** Removes what launching it created (its cgroup). */
  dispose(): Promise<void>;
  /** Host pid of the compile server process (for memory figures), when known. */
  pid(): Promise<number | null>;
}

export interface CompileServiceOptions {
  launch: () => Promise<CompileServer>;
  log: Logger;
  /** How long a server may take to load and warm up before it counts as broken. */
  startTimeoutMs: number;
  /** Restart the server after this many compiles, so caches cannot grow without bound. */
  recycleAfter: number;
  /** The response is our own JSON, but it carries the assembly: bound it anyway. */
  responseCapBytes: number;
  compileMemoryBytes: number;
}

interface Pending {
  source: string;
  id: string;
  timeoutMs: number;
  signal: AbortSignal;
  resolve: (o: CompileOutcome) => void;
}


export class CompileService {
  private server: CompileServer | null = null;
  private starting: Promise<CompileServer> | null = null;
  private readonly queue: Pending[] = [];
  private busy = false;
  private stopped = false;
  private compiles = 0;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private lineWaiter: ((line: string | null) => void) | null = null;
  /** The end of the server's stderr: where .NET says why it died (OutOfMemoryException…). */
  private stderrTail = '';
  restarts = 0;

  constructor(private readonly opts: CompileServiceOptions) {}

  async start(): Promise<void> {
    await this.ensureServer();
  }

  /** A server is up (or none is needed yet: it starts on the next compile). */
  get running(): boolean {
    return !this.stopped && (this.server !== null || this.starting !== null || this.restarts > 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.queue.splice(0)) p.resolve({ kind: 'cancelled' });
    await this.retire();
  }

  /** Host pid of the compiler process, for memory figures. */
  async serverPid(): Promise<number | null> {
    return (await this.server?.pid()) ?? null;
  }

  compile(id: string, source: string, timeoutMs: number, signal: AbortSignal): Promise<CompileOutcome> {
    return new Promise((resolve) => {
      const pending: Pending = { id, source, timeoutMs, signal, resolve };
      if (signal.aborted) return resolve({ kind: 'cancelled' });
      signal.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(pending);
          if (i >= 0) this.queue.splice(i, 1);
          // An in-flight compile is short and cannot be interrupted without killing the warm server:
          // the caller moves on now, and the server's answer is dropped when it comes.
          resolve({ kind: 'cancelled' });
        },
        { once: true },
      );
      this.queue.push(pending);
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        if (next.signal.aborted) continue;
        next.resolve(await this.compileOne(next));
      }
    } finally {
      this.busy = false;
    }
  }

  private async compileOne(p: Pending): Promise<CompileOutcome> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let server: CompileServer;
    try {
      server = await this.ensureServer();
    } catch (err) {
      this.opts.log.error('compile server failed to start', { err: String(err) });
      return { kind: 'failed', diagnostic: sharpboxDiagnostic('SB0004', 'the compiler is unavailable; try again shortly'), ms: elapsed() };
    }
    server.sandbox.stdin.write(`${JSON.stringify({ id: p.id, source: p.source })}\n`);
    const line = await this.nextLine(p.timeoutMs);
    if (line === 'timeout') {
      this.opts.log.warn('compile timed out; restarting the compile server', { runId: p.id });
      await this.retire();
      return { kind: 'failed', diagnostic: compileTimeoutDiagnostic(p.timeoutMs), ms: elapsed() };
    }
    if (line === null) {
      // Either the cgroup killed it, or Roslyn hit the managed heap limit and the runtime aborted.
      const oom = (await server.oomKilled()) || /OutOfMemoryException|^Out of memory\./m.test(this.stderrTail);
      this.opts.log.warn('compile server died during a compile; restarting it', { runId: p.id, oom });
      await this.retire();
      const message = oom ? `compilation ran out of memory (${formatBytes(this.opts.compileMemoryBytes)})` : 'the compiler crashed on this source';
      return { kind: 'failed', diagnostic: sharpboxDiagnostic(oom ? 'SB0002' : 'SB0005', message), ms: elapsed() };
    }
    const response = parseCompileResponse(line);
    if (!response || response.id !== p.id) {
      await this.retire();
      throw new Error(`compile server answered out of protocol: ${line.slice(0, 200)}`);
    }
    if (++this.compiles >= this.opts.recycleAfter) void this.retire();
    return { kind: 'compiled', response, ms: elapsed() };
  }

  private ensureServer(): Promise<CompileServer> {
    if (this.stopped) return Promise.reject(new Error('the compile service is stopped'));
    if (this.server) return Promise.resolve(this.server);
    this.starting ??= this.launch().finally(() => (this.starting = null));
    return this.starting;
  }

  private async launch(): Promise<CompileServer> {
    const server = await this.opts.launch();
    this.buffered = [];
    this.bufferedBytes = 0;
    this.compiles = 0;
    server.sandbox.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.stderrTail = '';
    server.sandbox.stderr.setEncoding('utf8');
    server.sandbox.stderr.on('data', (s: string) => (this.stderrTail = (this.stderrTail + s).slice(-8192)));
    void server.sandbox.closed.then(() => {
      this.lineWaiter?.(null);
      if (this.server === server) {
        this.server = null;
        void server.dispose();
      }
    });
    const ready = await this.nextLine(this.opts.startTimeoutMs, server);
    if (ready === null || ready === 'timeout' || parseCompileResponse(ready)?.id !== 'ready') {
      server.sandbox.kill();
      await server.sandbox.closed;
      await server.dispose();
      throw new Error(`the compile server did not get ready (${ready === null ? 'it exited' : ready === 'timeout' ? 'timed out' : 'bad greeting'})`);
    }
    this.server = server;
    this.restarts++;
    return server;
  }

  private async retire(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.sandbox.kill();
    await server.sandbox.closed;
    await server.dispose();
  }

  private onData(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes > this.opts.responseCapBytes) {
      this.opts.log.error('compile server response over the cap; restarting it');
      this.server?.sandbox.kill();
      return;
    }
    if (chunk.includes(10)) this.deliver();
  }

  private deliver(): void {
    if (!this.lineWaiter) return;
    const all = Buffer.concat(this.buffered);
    const nl = all.indexOf(10);
    if (nl < 0) return;
    const rest = all.subarray(nl + 1);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    const waiter = this.lineWaiter;
    this.lineWaiter = null;
    waiter(all.subarray(0, nl).toString('utf8'));
  }

  /** The next response line; 'timeout' past the deadline; null if the server exited. */
  private nextLine(timeoutMs: number, server: CompileServer | null = this.server): Promise<string | 'timeout' | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.lineWaiter = null;
        resolve('timeout');
      }, timeoutMs);
      this.lineWaiter = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      if (!server) return this.lineWaiter(null);
      this.deliver();
    });
  }
}
