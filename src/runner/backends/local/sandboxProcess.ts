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
  /** A seccomp filter, handed to bwrap on fd SECCOMP_FD. */
  seccomp?: Buffer | null;
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

/** bwrap reads the seccomp filter from this fd (and closes it before the program starts). */
export const SECCOMP_FD = 5;
/** bwrap writes {"child-pid": N} here: the host pid of the sandbox's pid 1. */
export const BWRAP_STATUS_FD = 6;
/** If the sandbox's pid 1 is not known this long after a kill was asked for, kill bwrap itself. */
const KILL_FALLBACK_MS = 1000;
const NOTES_CAP = 64 * 1024;
/** After the process exits, how long its pipes may stay open (a descendant holding them) before we cut. */
const CLOSE_GRACE_MS = 2000;

export function runSandboxProcess(opts: SandboxProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const [cmd, ...args] = opts.argv;
    if (!cmd) throw new Error('empty argv');
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', opts.seccomp ? 'pipe' : 'ignore', 'pipe'],
      env: {},
      detached: false,
    });

    const pipes = child.stdio as unknown as (Readable & Writable)[];
    const [stdinPipe, stdoutPipe, stderrPipe] = [pipes[0], pipes[1], pipes[2]];
    if (!stdinPipe || !stdoutPipe || !stderrPipe) throw new Error('spawn gave no stdio pipes');
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

    // Killing means killing the sandbox's pid 1 (tini): the kernel then kills everything in its pid
    // namespace, and the outer bwrap reaps it and exits. Killing the outer bwrap instead would orphan
    // pid 1 to the host's init, which may never reap it (see bwrapArgs.ts).
    let sandboxInit = 0;
    let killRequested = false;
    let fallback: NodeJS.Timeout | undefined;
    const killInit = (): void => {
      try {
        process.kill(sandboxInit, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const kill = (): void => {
      if (killRequested) return;
      killRequested = true;
      if (sandboxInit > 0) return killInit();
      fallback = setTimeout(() => child.kill('SIGKILL'), KILL_FALLBACK_MS);
    };
    let bwrapStatus = '';
    const statusPipe = pipes[BWRAP_STATUS_FD] as Readable;
    statusPipe.setEncoding('utf8');
    statusPipe.on('data', (s: string) => {
      if (sandboxInit > 0 || bwrapStatus.length > 4096) return;
      bwrapStatus += s;
      const pid = Number(/"child-pid"\s*:\s*(\d+)/.exec(bwrapStatus)?.[1] ?? 0);
      if (pid > 0) {
        sandboxInit = pid;
        if (killRequested) {
          clearTimeout(fallback);
          killInit();
        }
      }
    });
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
    stdoutPipe.on('data', take('stdout', out));
    stderrPipe.on('data', take('stderr', err));
    const notes = pipes[4] as Readable;
    notes.setEncoding('utf8');
    notes.on('data', (s: string) => {
      if (notesText.length < NOTES_CAP) notesText += s.slice(0, NOTES_CAP - notesText.length);
    });

    // The program may never read its stdin or fd 3; a closed pipe is not our error.
    const feed = (w: Writable, data: Buffer | undefined): void => {
      w.on('error', () => undefined);
      w.end(data);
    };
    feed(stdinPipe, opts.stdin);
    feed(pipes[3] as Writable, opts.control);
    if (opts.seccomp) feed(pipes[SECCOMP_FD] as Writable, opts.seccomp);

    let graceTimer: NodeJS.Timeout | undefined;
    child.on('exit', (code, sig) => {
      exitCode = code;
      killedBy = sig;
      graceTimer = setTimeout(() => {
        for (const s of [stdoutPipe, stderrPipe, notes, statusPipe]) s.destroy();
      }, CLOSE_GRACE_MS);
    });
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(fallback);
      opts.signal.removeEventListener('abort', onAbort);
      reject(new Error(`could not start the sandbox: ${e.message}`));
    });
    child.on('close', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      clearTimeout(fallback);
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
