// The warm compilers: a small pool of long-lived `sharpbox-host compile-server` processes, each in a
// sandbox of its own (own uid, own memory cgroup, no network), with Roslyn and the reference assemblies
// loaded once and JIT-warmed. Each takes one request at a time over stdin/stdout as JSON lines.
//
// Why a pool and not one server: a hostile source can hold a compiler for its whole deadline (an
// exponential overload resolution) or kill it in a second (a constant doubled past the compiler's
// memory). With one server, every user behind it waited for the deadline or for the restart and
// warm-up. With two, the other one keeps serving while the first is busy or restarting, so one user's
// compile bomb costs the others no more than a normal compile. A compile that runs past its deadline,
// or makes its server die, is reported for that request alone; that server is replaced in the background.
import type { Logger } from '../../../log.js';
import { formatBytes } from '../../classify.js';
import { compileTimeoutDiagnostic, sharpboxDiagnostic } from '../../results.js';
import type { Diagnostic } from '../../types.js';
import type { CompileOptions } from '../../types.js';
import { parseCompileResponse, type CompileRequest, type CompileResponse } from './hostProtocol.js';
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
  /** Starts pool member `index` (each has its own uid). */
  launch: (index: number) => Promise<CompileServer>;
  /** How many servers serve at once. */
  servers: number;
  log: Logger;
  /** How long a server may take to load and warm up before it counts as broken. */
  startTimeoutMs: number;
  /** Restart a server after this many compiles, so caches cannot grow without bound. */
  recycleAfter: number;
  /** The response is our own JSON, but it carries the assembly: bound it anyway. */
  responseCapBytes: number;
  compileMemoryBytes: number;
}

interface Pending {
  source: string;
  options: CompileOptions;
  id: string;
  timeoutMs: number;
  signal: AbortSignal;
  resolve: (o: CompileOutcome) => void;
}

/** A warm compile takes tens of milliseconds: one busy longer than this is probably a bomb. */
const STANDBY_AFTER_MS = 500;
/** How long to wait before relaunching a member whose launch failed (so a broken host does not spin). */
const RELAUNCH_BACKOFF_MS = 1000;

/** One running compile server and the line protocol over its stdout. */
class Connection {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private lineWaiter: ((line: string | null) => void) | null = null;
  /** The end of the server's stderr: where .NET says why it died (OutOfMemoryException…). */
  stderrTail = '';
  compiles = 0;
  exited = false;
  /** When its current compile began (performance.now()). */
  busySince = 0;

  constructor(
    readonly server: CompileServer,
    private readonly responseCapBytes: number,
    private readonly log: Logger,
  ) {
    server.sandbox.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    server.sandbox.stderr.setEncoding('utf8');
    server.sandbox.stderr.on('data', (s: string) => (this.stderrTail = (this.stderrTail + s).slice(-8192)));
    void server.sandbox.closed.then(() => {
      this.exited = true;
      this.lineWaiter?.(null);
    });
  }

  send(request: string): void {
    this.server.sandbox.stdin.write(`${request}\n`);
  }

  /** Kills the server and removes its cgroup. */
  async retire(): Promise<void> {
    this.server.sandbox.kill();
    await this.server.sandbox.closed;
    await this.server.dispose();
  }

  /** The next response line; 'timeout' past the deadline; null if the server exited. */
  nextLine(timeoutMs: number): Promise<string | 'timeout' | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.lineWaiter = null;
        resolve('timeout');
      }, timeoutMs);
      this.lineWaiter = (line) => {
        clearTimeout(timer);
        this.lineWaiter = null;
        resolve(line);
      };
      if (this.exited) return this.lineWaiter(null);
      this.deliver();
    });
  }

  private onData(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes > this.responseCapBytes) {
      this.log.error('compile server response over the cap; restarting it');
      this.buffered = [];
      this.bufferedBytes = 0;
      this.server.sandbox.kill();
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
    this.lineWaiter(all.subarray(0, nl).toString('utf8'));
  }
}

export class CompileService {
  private readonly idle: Connection[] = [];
  private readonly busy = new Set<Connection>();
  /** Members being started, by index. */
  private readonly starting = new Map<number, Promise<void>>();
  private readonly members = new Map<Connection, number>();
  private readonly queue: Pending[] = [];
  private stopped = false;
  private standbyTimer: NodeJS.Timeout | null = null;
  /** Past start(): from now on a failed launch is retried instead of thrown. */
  private started = false;
  /** Servers started so far (restarts included). */
  restarts = 0;

  constructor(private readonly opts: CompileServiceOptions) {}

  /** Starts every member and waits for them; a member that cannot start at all stops the service. */
  async start(): Promise<void> {
    const all = await Promise.allSettled(Array.from({ length: this.opts.servers }, (_, i) => this.startMember(i)));
    const failed = all.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    this.started = true;
  }

  /** A server is up or coming up. */
  get running(): boolean {
    return !this.stopped && this.idle.length + this.busy.size + this.starting.size > 0;
  }

  /** Resolves when no compile server is being started (replacements warm up in the background). */
  async settled(): Promise<void> {
    while (this.starting.size > 0) await Promise.allSettled([...this.starting.values()]);
  }

  /** Servers ready to take a compile now. */
  get available(): number {
    return this.idle.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.standbyTimer) clearTimeout(this.standbyTimer);
    for (const p of this.queue.splice(0)) p.resolve({ kind: 'cancelled' });
    await Promise.allSettled([...this.starting.values()]);
    const all = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.allSettled(all.map((c) => c.retire()));
  }

  /** Host pid of an idle compiler process (the one the next compile would use), for memory figures. */
  async serverPid(): Promise<number | null> {
    const c = this.idle[0] ?? [...this.busy][0];
    return (await c?.server.pid()) ?? null;
  }

  /** Host pids of every compiler process. */
  async serverPids(): Promise<number[]> {
    const pids = await Promise.all([...this.idle, ...this.busy].map((c) => c.server.pid()));
    return pids.filter((p): p is number => p !== null);
  }

  compile(
    id: string,
    source: string,
    timeoutMs: number,
    signal: AbortSignal,
    options: CompileOptions = {},
  ): Promise<CompileOutcome> {
    return new Promise((resolve) => {
      // No server may be free for a while (all restarting after bombs): the wait has a deadline too.
      const waited = setTimeout(() => {
        const i = this.queue.indexOf(pending);
        if (i < 0) return;
        this.queue.splice(i, 1);
        resolve({
          kind: 'failed',
          diagnostic: sharpboxDiagnostic('SB0004', 'the compiler is unavailable; try again shortly'),
          ms: this.opts.startTimeoutMs,
        });
      }, this.opts.startTimeoutMs);
      const pending: Pending = {
        id,
        source,
        options,
        timeoutMs,
        signal,
        resolve: (o) => {
          clearTimeout(waited);
          resolve(o);
        },
      };
      if (signal.aborted) return pending.resolve({ kind: 'cancelled' });
      signal.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(pending);
          if (i >= 0) this.queue.splice(i, 1);
          // An in-flight compile is short and cannot be interrupted without killing a warm server:
          // the caller moves on now, and the server's answer is dropped when it comes.
          pending.resolve({ kind: 'cancelled' });
        },
        { once: true },
      );
      this.queue.push(pending);
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.idle.length > 0) {
      // A second compiler takes work only once the busy ones have been at it longer than any normal
      // compile: serial compiles keep the machine's cores for the sandboxes (measured: two compiling at
      // once cost about 10% of throughput on 2 cores), and a bomb still costs the others half a second.
      const wait = this.standbyWait();
      if (wait > 0) {
        if (!this.standbyTimer) {
          this.standbyTimer = setTimeout(() => {
            this.standbyTimer = null;
            this.pump();
          }, wait);
        }
        return;
      }
      const next = this.queue.shift();
      const conn = this.idle.shift();
      if (!next || !conn) break;
      if (next.signal.aborted) {
        this.idle.unshift(conn);
        continue;
      }
      this.busy.add(conn);
      conn.busySince = performance.now();
      void this.compileOne(conn, next).then(
        (outcome) => next.resolve(outcome),
        (err: unknown) => {
          this.opts.log.error('compile failed in the service', { runId: next.id, err: String(err) });
          next.resolve({
            kind: 'failed',
            diagnostic: sharpboxDiagnostic('SB0004', 'the compiler is unavailable; try again shortly'),
            ms: 0,
          });
        },
      );
    }
  }

  private async compileOne(conn: Connection, p: Pending): Promise<CompileOutcome> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const request: CompileRequest = { id: p.id, source: p.source, ...p.options };
    conn.send(JSON.stringify(request));
    const line = await conn.nextLine(p.timeoutMs);
    if (line === 'timeout') {
      this.opts.log.warn('compile timed out; replacing that compile server', { runId: p.id });
      await this.replace(conn);
      return { kind: 'failed', diagnostic: compileTimeoutDiagnostic(p.timeoutMs), ms: elapsed() };
    }
    if (line === null) {
      // Either the cgroup killed it, or Roslyn hit the managed heap limit and the runtime aborted.
      const oom = (await conn.server.oomKilled()) || /OutOfMemoryException|^Out of memory\./m.test(conn.stderrTail);
      this.opts.log.warn('compile server died during a compile; replacing it', { runId: p.id, oom });
      await this.replace(conn);
      const message = oom
        ? `compilation ran out of memory (${formatBytes(this.opts.compileMemoryBytes)})`
        : 'the compiler crashed on this source';
      return { kind: 'failed', diagnostic: sharpboxDiagnostic(oom ? 'SB0002' : 'SB0005', message), ms: elapsed() };
    }
    const response = parseCompileResponse(line);
    if (!response || response.id !== p.id) {
      await this.replace(conn);
      throw new Error(`compile server answered out of protocol: ${line.slice(0, 200)}`);
    }
    if (++conn.compiles >= this.opts.recycleAfter) void this.replace(conn);
    else this.release(conn);
    return { kind: 'compiled', response, ms: elapsed() };
  }

  /** How long until an idle compiler may start beside the busy ones (0: now). */
  private standbyWait(): number {
    let wait = 0;
    for (const c of this.busy) wait = Math.max(wait, STANDBY_AFTER_MS - (performance.now() - c.busySince));
    return Math.ceil(wait);
  }

  private release(conn: Connection): void {
    this.busy.delete(conn);
    if (this.stopped || conn.exited) {
      void this.replace(conn);
      return;
    }
    // Last in, first out: under light load one server takes every compile and stays hot (its JIT and
    // Roslyn's caches); the other serves only when the first is busy.
    this.idle.unshift(conn);
    this.pump();
  }

  /** Retires a server and starts its member afresh; the other members serve meanwhile. */
  private async replace(conn: Connection): Promise<void> {
    this.busy.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    const index = this.members.get(conn);
    this.members.delete(conn);
    await conn
      .retire()
      .catch((err: unknown) => this.opts.log.error('could not retire a compile server', { err: String(err) }));
    if (index !== undefined && !this.stopped) void this.startMember(index).catch(() => undefined);
    this.pump();
  }

  private startMember(index: number): Promise<void> {
    const existing = this.starting.get(index);
    if (existing) return existing;
    const started = this.launch(index).finally(() => this.starting.delete(index));
    this.starting.set(index, started);
    return started;
  }

  private async launch(index: number): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, RELAUNCH_BACKOFF_MS));
      if (this.stopped) return;
      let conn: Connection | null = null;
      try {
        const server = await this.opts.launch(index);
        conn = new Connection(server, this.opts.responseCapBytes, this.opts.log);
        const ready = await conn.nextLine(this.opts.startTimeoutMs);
        if (ready === null || ready === 'timeout' || parseCompileResponse(ready)?.id !== 'ready') {
          throw new Error(
            `the compile server did not get ready (${ready === null ? 'it exited' : ready === 'timeout' ? 'timed out' : 'bad greeting'})`,
          );
        }
      } catch (err) {
        await conn?.retire().catch(() => undefined);
        this.opts.log.error('compile server failed to start', { index, attempt, err: String(err) });
        if (!this.started) throw err;
        continue;
      }
      this.restarts++;
      if (this.stopped) {
        await conn.retire();
        return;
      }
      const c = conn;
      this.members.set(c, index);
      // A server that dies while idle (killed from outside, a crash) is replaced at once.
      void c.server.sandbox.closed.then(() => {
        if (this.idle.includes(c)) void this.replace(c);
      });
      this.idle.push(c);
      this.pump();
      return;
    }
  }
}
