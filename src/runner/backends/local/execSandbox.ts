// One exec sandbox: started ahead of time, it initialises the runtime and waits on fd 3; given exactly
// one program (and its stdin) it runs it under the watchdogs and then dies. It is never reused.
import { parseHostNotes, type HostNote } from './hostProtocol.js';
import type { LaunchedSandbox, SandboxExit } from './launcher.js';

export interface ExecOptions {
  /** The framed program for fd 3 (hostProtocol.encodeProgramFrames). */
  program: Buffer;
  stdin: Buffer;
  /** The wall clock starts here, when the program is handed over, not when the sandbox started. */
  timeoutMs: number;
  /** Cap over stdout + stderr together; past it the sandbox is killed. */
  outputCapBytes: number;
  signal: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

export interface ExecOutcome extends SandboxExit {
  timedOut: boolean;
  cancelled: boolean;
  outputExceeded: boolean;
  stdout: Buffer;
  stderr: Buffer;
  notes: HostNote[];
  /** From hand-over to exit. */
  wallMs: number;
}

const NOTES_CAP = 64 * 1024;

export class ExecSandbox {
  /** Resolves true once the host inside is waiting for its program; false if it died first. */
  readonly ready: Promise<boolean>;
  private notesText = '';
  private used = false;
  private exited = false;

  constructor(private readonly sandbox: LaunchedSandbox) {
    this.ready = new Promise((resolve) => {
      sandbox.notes.setEncoding('utf8');
      sandbox.notes.on('data', (s: string) => {
        if (this.notesText.length < NOTES_CAP) this.notesText += s.slice(0, NOTES_CAP - this.notesText.length);
        if (this.notesText.includes('{"e":"ready"}')) resolve(true);
      });
      void sandbox.closed.then(() => {
        this.exited = true;
        resolve(false);
      });
    });
  }

  /** Ready and still alive: fit to be handed a program now. */
  async usable(): Promise<boolean> {
    return (await this.ready) && !this.exited;
  }

  /** Kills the sandbox (unused, or abandoned) and waits for it to be gone. */
  async discard(): Promise<void> {
    this.sandbox.kill();
    await this.sandbox.closed;
  }

  get closed(): Promise<SandboxExit> {
    return this.sandbox.closed;
  }

  async run(opts: ExecOptions): Promise<ExecOutcome> {
    if (this.used) throw new Error('an exec sandbox runs one program only');
    this.used = true;
    const sb = this.sandbox;
    const started = performance.now();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const decoders = { stdout: new TextDecoder('utf-8'), stderr: new TextDecoder('utf-8') };
    let outputBytes = 0;
    let timedOut = false;
    let cancelled = false;
    let outputExceeded = false;

    const timer = setTimeout(() => {
      timedOut = true;
      sb.kill();
    }, opts.timeoutMs);
    const onAbort = (): void => {
      cancelled = true;
      sb.kill();
    };
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });

    const take = (stream: 'stdout' | 'stderr', into: Buffer[]) => (chunk: Buffer) => {
      if (outputExceeded) return;
      let piece = chunk;
      if (outputBytes + chunk.length > opts.outputCapBytes) {
        piece = chunk.subarray(0, utf8Boundary(chunk, opts.outputCapBytes - outputBytes));
        outputExceeded = true;
        sb.kill();
      }
      outputBytes += piece.length;
      if (piece.length === 0) return;
      into.push(piece);
      if (opts.onOutput) {
        const text = decoders[stream].decode(piece, { stream: true });
        if (text.length > 0) opts.onOutput(stream, text);
      }
    };
    sb.stdout.on('data', take('stdout', out));
    sb.stderr.on('data', take('stderr', err));
    sb.control.end(opts.program);
    sb.stdin.end(opts.stdin);

    try {
      const exit = await sb.closed;
      if (opts.onOutput) {
        for (const stream of ['stdout', 'stderr'] as const) {
          const tail = decoders[stream].decode();
          if (tail.length > 0) opts.onOutput(stream, tail);
        }
      }
      return {
        ...exit,
        timedOut,
        cancelled,
        outputExceeded,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        notes: parseHostNotes(this.notesText),
        wallMs: performance.now() - started,
      };
    } finally {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
    }
  }
}

/** The largest length ≤ max that does not split a UTF-8 sequence of buf. */
export function utf8Boundary(buf: Buffer, max: number): number {
  if (max >= buf.length) return buf.length;
  let end = Math.max(0, max);
  // If the cut would land on a continuation byte (10xxxxxx), move it back to that sequence's lead byte.
  let back = end;
  while (back > 0 && back > end - 4 && ((buf[back] ?? 0) & 0xc0) === 0x80) back--;
  if (back < end && ((buf[back] ?? 0) & 0xc0) !== 0x80) end = back;
  return end;
}
