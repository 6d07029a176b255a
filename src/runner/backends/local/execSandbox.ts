// One exec sandbox: started ahead of time, it initialises the runtime and waits on fd 3; given exactly
// one program (and its stdin) it runs it under the watchdogs and then dies. It is never reused.
import { parseHostNotes, type HostNotes } from '../../hostNotes.js';
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
  /** A host-side cap polled while the program runs (socket buffers); true stops the run as memory_limit. */
  memoryWatch?: () => Promise<boolean>;
}

export interface ExecOutcome extends SandboxExit {
  timedOut: boolean;
  cancelled: boolean;
  outputExceeded: boolean;
  socketMemoryExceeded: boolean;
  stdout: Buffer;
  stderr: Buffer;
  notes: HostNotes;
  /** From hand-over to exit. */
  wallMs: number;
}

/**
 * The host writes a few short lines on fd 4, but the user's code shares its process and can write there
 * too (11.7 GB went through in 3.5 s once, costing the service 3.3 s of CPU). Past this the sandbox is
 * killed as an output flood; below it the notes still count against the output cap.
 */
export const NOTES_CAP_BYTES = 64 * 1024;
const START_LINE = '{"e":"start"}\n';
/** How often the memory watch is polled: one small cgroup file read per running sandbox. */
const MEMORY_WATCH_MS = 100;

export class ExecSandbox {
  /** Resolves true once the host inside is waiting for its program; false if it died first. */
  readonly ready: Promise<boolean>;
  /** Notes as bytes (latin1 keeps them 1:1); decoded as UTF-8 once the run is over. */
  private notesText = '';
  private notesBytes = 0;
  private notesFlooded = false;
  private readySeen = false;
  /** Where the notes the program could have written begin (just past the host's `start` line). */
  private programNotesFrom: number | null = null;
  /** Counts notes bytes against the output cap of the run in progress. */
  private onNotes: ((bytes: number) => void) | null = null;
  private used = false;
  private exited = false;

  constructor(private readonly sandbox: LaunchedSandbox) {
    this.ready = new Promise((resolve) => {
      sandbox.notes.on('data', (chunk: Buffer) => {
        this.notesBytes += chunk.length;
        if (this.notesBytes > NOTES_CAP_BYTES) {
          // Reading stops here; the flood is ended by the kill (a run in progress reports output_limit).
          this.notesFlooded = true;
          sandbox.notes.destroy();
          sandbox.kill();
          return;
        }
        const before = this.notesText.length;
        this.notesText += chunk.toString('latin1');
        // The host's own lines up to `start` are not the program's output; everything after is.
        if (this.programNotesFrom === null) {
          const at = this.notesText.indexOf(START_LINE);
          if (at >= 0) this.programNotesFrom = at + START_LINE.length;
        }
        if (this.programNotesFrom !== null)
          this.onNotes?.(this.notesText.length - Math.max(before, this.programNotesFrom));
        if (!this.readySeen && this.notesText.includes('{"e":"ready"}')) {
          this.readySeen = true;
          resolve(true);
        }
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
    let socketMemoryExceeded = false;

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
    let watching = false;
    const watch = opts.memoryWatch
      ? setInterval(() => {
          if (watching) return;
          watching = true;
          void opts.memoryWatch?.().then((hit) => {
            watching = false;
            if (hit && !socketMemoryExceeded) {
              socketMemoryExceeded = true;
              sb.kill();
            }
          });
        }, MEMORY_WATCH_MS)
      : undefined;

    const exceed = (): void => {
      outputExceeded = true;
      sb.kill();
    };
    // Notes written during the run are output the host had to read: they count against the cap.
    this.onNotes = (bytes) => {
      if (outputExceeded || bytes <= 0) return;
      outputBytes += bytes;
      if (outputBytes > opts.outputCapBytes) exceed();
    };
    const take = (stream: 'stdout' | 'stderr', into: Buffer[]) => (chunk: Buffer) => {
      if (outputExceeded) return;
      let piece = chunk;
      if (outputBytes + chunk.length > opts.outputCapBytes) {
        piece = chunk.subarray(0, utf8Boundary(chunk, Math.max(0, opts.outputCapBytes - outputBytes)));
        exceed();
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
        outputExceeded: outputExceeded || this.notesFlooded,
        socketMemoryExceeded,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        notes: parseHostNotes(Buffer.from(this.notesText, 'latin1').toString('utf8')),
        wallMs: performance.now() - started,
      };
    } finally {
      clearTimeout(timer);
      clearInterval(watch);
      this.onNotes = null;
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
