// The wire formats between the runner and the runner host (container/host). Mirrors Protocol.cs and
// Executor.cs; change both sides together.
import type { Diagnostic } from '../../types.js';

export interface CompileRequest {
  id?: string;
  source: string;
}

export interface CompileResponse {
  id?: string;
  ok: boolean;
  diagnostics: Diagnostic[];
  /** base64 PE image */
  assembly?: string;
  /** base64 portable PDB */
  pdb?: string;
  compileMs: number;
  error?: string;
}

/** fd 3 of an exec sandbox: u32le length + PE, u32le length + PDB (0 for none). */
export function encodeProgramFrames(pe: Buffer, pdb: Buffer | null): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(pe.length);
  const pdbHead = Buffer.alloc(4);
  pdbHead.writeUInt32LE(pdb?.length ?? 0);
  return Buffer.concat([head, pe, pdbHead, pdb ?? Buffer.alloc(0)]);
}

/** What the runner host said on fd 4 (see container/host/Executor.cs). */
export interface HostNotes {
  // Up to the first `start`: the host writes `start` before it loads the user's assembly, so nothing of
  // the user's code exists in the process yet. These are the host's own words.
  /** The runtime is up and the host waits for its program. */
  ready: boolean;
  /** The host reached the user's program. */
  start: boolean;
  /** The host's own failure before the program, in its words. */
  fault: string | null;
  // After `start`: the user's code shares the process and can write anything here, so these serve
  // only the wording of a result, never its status.
  /** The last exit code noted. */
  exitCode: number | null;
  /** The last unhandled exception type noted. */
  unhandledType: string | null;
}

/** Parses fd 4's JSON lines, dropping anything malformed; later notes win (the user can write first). */
export function parseHostNotes(text: string): HostNotes {
  const notes: HostNotes = { ready: false, start: false, fault: null, exitCode: null, unhandledType: null };
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.length > 1024) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    if (!notes.start) {
      if (v.e === 'ready') notes.ready = true;
      else if (v.e === 'fault' && typeof v.message === 'string') notes.fault = v.message.slice(0, 500);
      else if (v.e === 'start') notes.start = true;
      continue;
    }
    if (v.e === 'exit' && Number.isInteger(v.code)) notes.exitCode = v.code as number;
    else if (v.e === 'unhandled' && typeof v.type === 'string') notes.unhandledType = v.type.slice(0, 200);
  }
  return notes;
}

/** The classifier's view of the notes (see ExecFacts): the host's word before start, wording after. */
export function noteFacts(notes: HostNotes): { sawReady: boolean; sawStart: boolean; hostFault: string | null; noteExitCode: number | null; unhandledType: string | null } {
  return { sawReady: notes.ready, sawStart: notes.start, hostFault: notes.fault, noteExitCode: notes.exitCode, unhandledType: notes.unhandledType };
}

export function parseCompileResponse(text: string): CompileResponse | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<CompileResponse>;
  if (typeof v.ok !== 'boolean' || !Array.isArray(v.diagnostics)) return null;
  return v as CompileResponse;
}
