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

/** A note the host wrote on fd 4. It comes from inside the sandbox: a hint, never trusted. */
export type HostNote =
  | { e: 'ready' }
  | { e: 'start' }
  | { e: 'exit'; code: number }
  | { e: 'unhandled'; type: string };

/** Parses fd 4's JSON lines, dropping anything malformed (the user's code can write there too). */
export function parseHostNotes(text: string): HostNote[] {
  const notes: HostNote[] = [];
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
    if (v.e === 'ready' || v.e === 'start') notes.push({ e: v.e });
    else if (v.e === 'exit' && Number.isInteger(v.code)) notes.push({ e: 'exit', code: v.code as number });
    else if (v.e === 'unhandled' && typeof v.type === 'string') notes.push({ e: 'unhandled', type: v.type.slice(0, 200) });
  }
  return notes;
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
