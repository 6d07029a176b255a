// The wire formats between the local backend and the runner host (container/host): the compile server's
// requests and answers, and the program handed to an exec sandbox. Mirrors Protocol.cs and Executor.cs;
// change both sides together. The host's notes, read by both backends, are in ../../hostNotes.ts.
import type { CompileOptions, Diagnostic, ViewKind } from '../../types.js';

/** `optimize` and `langVersion`, when the run chose them (CompileSettings.cs); absent, the host's defaults. */
export interface CompileRequest extends CompileOptions {
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

/**
 * fd 3 of an exec sandbox: u32le length + PE, u32le length + PDB (0 for none), and for a view a third
 * frame naming the job (container/host/ProgramJob.cs); a run sends no third frame.
 */
export function encodeProgramFrames(pe: Buffer, pdb: Buffer | null, view: ViewKind | null = null): Buffer {
  const frames = [frame(pe), frame(pdb ?? Buffer.alloc(0))];
  if (view) frames.push(frame(Buffer.from(view, 'ascii')));
  return Buffer.concat(frames);
}

function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
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
