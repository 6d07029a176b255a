// Runs one sandboxed process to completion and reports what happened: exit status, output within the
// cap, the host's notes, and whether we killed it (wall clock, output cap, cancel). It never decides
// what the outcome means for the user; classify.ts does.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { parseHostNotes, type HostNote } from './hostProtocol.js';

export interface SandboxProcessOptions {
  argv: readonly string[];
  stdin: Buffer;
  /** Written to the sandbox's fd 3, then closed. */
  control?: Buffer;
  timeoutMs: number;
  /** Cap over stdout + stderr together; past it the sandbox is killed. */
  outputCapBytes: number;
  signal: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

export interface ProcessOutcome {
  /** The sandbox's exit code; bwrap reports a program killed by signal N as 128 + N. */
  exitCode: number | null;
  /** Set when the sandbox itself (bwrap) was killed, which only we do. */
  killedBy: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  outputExceeded: boolean;
  stdout: Buffer;
  stderr: Buffer;
  notes: HostNote[];
  wallMs: number;
}

const NOTES_CAP = 64 * 1024;
/** After the process exits, how long its pipes may stay open (a descendant holding them) before we cut. */
const CLOSE_GRACE_MS = 2000;

export function runSandboxProcess(opts: SandboxProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const [cmd, ...args] = opts.argv;
    if (!cmd) throw new Error('empty argv');
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: {},
      detached: false,
    });

    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const decoders = { stdout: new TextDecoder('utf-8'), stderr: new TextDecoder('utf-8') };
    let outputBytes = 0;
    let notesText = '';
    let timedOut = false;
    let cancelled = false;
    let outputExceeded = false;
    let exitCode: number | null = null;
    let killedBy: NodeJS.Signals | null = null;
    let settled = false;

    const kill = (): void => {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = (): void => {
      cancelled = true;
      kill();
    };
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });

    const take = (stream: 'stdout' | 'stderr', into: Buffer[]) => (chunk: Buffer) => {
      if (outputExceeded) return;
      let piece = chunk;
      if (outputBytes + chunk.length > opts.outputCapBytes) {
        piece = chunk.subarray(0, utf8Boundary(chunk, opts.outputCapBytes - outputBytes));
        outputExceeded = true;
        kill();
      }
      outputBytes += piece.length;
      if (piece.length === 0) return;
      into.push(piece);
      if (opts.onOutput) {
        const text = decoders[stream].decode(piece, { stream: true });
        if (text.length > 0) opts.onOutput(stream, text);
      }
    };
    child.stdout.on('data', take('stdout', out));
    child.stderr.on('data', take('stderr', err));
    const notes = child.stdio[4] as Readable;
    notes.setEncoding('utf8');
    notes.on('data', (s: string) => {
      if (notesText.length < NOTES_CAP) notesText += s.slice(0, NOTES_CAP - notesText.length);
    });

    // The program may never read its stdin or fd 3; a closed pipe is not our error.
    const feed = (w: Writable, data: Buffer | undefined): void => {
      w.on('error', () => undefined);
      w.end(data);
    };
    feed(child.stdin, opts.stdin);
    feed(child.stdio[3] as Writable, opts.control);

    let graceTimer: NodeJS.Timeout | undefined;
    child.on('exit', (code, sig) => {
      exitCode = code;
      killedBy = sig;
      graceTimer = setTimeout(() => {
        for (const s of [child.stdout, child.stderr, notes]) s.destroy();
      }, CLOSE_GRACE_MS);
    });
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      reject(new Error(`could not start the sandbox: ${e.message}`));
    });
    child.on('close', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      opts.signal.removeEventListener('abort', onAbort);
      if (opts.onOutput) {
        for (const stream of ['stdout', 'stderr'] as const) {
          const tail = decoders[stream].decode();
          if (tail.length > 0) opts.onOutput(stream, tail);
        }
      }
      resolve({
        exitCode,
        killedBy,
        timedOut,
        cancelled,
        outputExceeded,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        notes: parseHostNotes(notesText),
        wallMs: performance.now() - started,
      });
    });
  });
}

/** The largest length ≤ max that does not split a UTF-8 sequence of buf. */
export function utf8Boundary(buf: Buffer, max: number): number {
  if (max >= buf.length) return buf.length;
  let end = Math.max(0, max);
  // Step back over continuation bytes (10xxxxxx) to the start of the sequence that would be cut.
  let back = end;
  while (back > 0 && back > end - 4 && ((buf[back] ?? 0) & 0xc0) === 0x80) back--;
  if (back < end && ((buf[back] ?? 0) & 0xc0) !== 0x80) end = back;
  return end;
}
