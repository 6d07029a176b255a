// Starts one sandboxed process and knows how to kill it properly. Used for exec sandboxes (one program
// each) and for the long-lived compile server.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** fd 3 of the sandbox: the program (exec) — see container/host/Executor.cs. */
export const CONTROL_FD = 3;
/** fd 4 of the sandbox: the runner host's notes. */
export const NOTES_FD = 4;
/** bwrap reads the seccomp filter from this fd (and closes it before the program starts). */
export const SECCOMP_FD = 5;
/** bwrap writes {"child-pid": N} here: the host pid of the sandbox's pid 1. */
export const BWRAP_STATUS_FD = 6;
/** The highest descriptor a sandbox is given; the launcher closes everything above it. */
export const LAST_SANDBOX_FD = BWRAP_STATUS_FD;
/** If the sandbox's pid 1 is not known this long after a kill was asked for, kill bwrap itself. */
const KILL_FALLBACK_MS = 1000;

export interface SandboxExit {
  /** The sandbox's exit code; bwrap reports a program killed by signal N as 128 + N. */
  exitCode: number | null;
  /** Set when bwrap itself was killed (only our fallback does that). */
  killedBy: NodeJS.Signals | null;
}

export interface LaunchedSandbox {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly control: Writable;
  readonly notes: Readable;
  /** Resolves when the process has exited and its pipes have closed (or were cut after a grace period). */
  readonly closed: Promise<SandboxExit>;
  /** SIGKILLs the sandbox's pid 1, which takes down its whole pid namespace. Idempotent. */
  kill(): void;
  readonly killed: boolean;
}

/** After the process exits, how long its pipes may stay open (a descendant holding them) before we cut. */
const CLOSE_GRACE_MS = 2000;

export function launchSandbox(argv: readonly string[], seccomp: Buffer | null): LaunchedSandbox {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty argv');
  const child: ChildProcess = spawn(cmd, args, {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', seccomp ? 'pipe' : 'ignore', 'pipe'],
    // Nothing of the service's environment (tokens, keys) reaches even the launcher chain.
    env: {},
  });
  const pipes = child.stdio as unknown as (Readable & Writable)[];
  const pipe = (fd: number): Readable & Writable => {
    const p = pipes[fd];
    if (!p) throw new Error(`spawn gave no pipe for fd ${fd}`);
    p.on('error', () => undefined); // a sandbox that closes its end early is not our error
    return p;
  };
  const stdin = pipe(0);
  const stdout = pipe(1);
  const stderr = pipe(2);
  const control = pipe(CONTROL_FD);
  const notes = pipe(NOTES_FD);
  const status = pipe(BWRAP_STATUS_FD);
  if (seccomp) pipe(SECCOMP_FD).end(seccomp);

  // Killing means killing the sandbox's pid 1 (tini): the kernel then kills everything in its pid
  // namespace, and the outer bwrap reaps it and exits. Killing the outer bwrap instead would orphan
  // pid 1 to the host's init, which may never reap it (see bwrapArgs.ts).
  let init = 0;
  let killed = false;
  let fallback: NodeJS.Timeout | undefined;
  const killInit = (): void => {
    try {
      process.kill(init, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  let statusText = '';
  status.setEncoding('utf8');
  status.on('data', (s: string) => {
    if (init > 0 || statusText.length > 4096) return;
    statusText += s;
    const pid = Number(/"child-pid"\s*:\s*(\d+)/.exec(statusText)?.[1] ?? 0);
    if (pid > 0) {
      init = pid;
      if (killed) {
        clearTimeout(fallback);
        killInit();
      }
    }
  });

  let exited = false;
  const closed = new Promise<SandboxExit>((resolve) => {
    let exit: SandboxExit = { exitCode: null, killedBy: null };
    let grace: NodeJS.Timeout | undefined;
    child.on('exit', (code, signal) => {
      exited = true;
      exit = { exitCode: code, killedBy: signal };
      grace = setTimeout(() => {
        for (const p of [stdout, stderr, notes, status]) p.destroy();
      }, CLOSE_GRACE_MS);
    });
    child.on('error', () => {
      exited = true;
      resolve({ exitCode: null, killedBy: null });
    });
    child.on('close', () => {
      clearTimeout(grace);
      clearTimeout(fallback);
      resolve(exit);
    });
  });

  return {
    stdin,
    stdout,
    stderr,
    control,
    notes,
    closed,
    get killed() {
      return killed;
    },
    kill() {
      if (killed || exited) return;
      killed = true;
      if (init > 0) return killInit();
      fallback = setTimeout(() => child.kill('SIGKILL'), KILL_FALLBACK_MS);
    },
  };
}
