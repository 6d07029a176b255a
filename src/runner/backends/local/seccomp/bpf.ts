// A tiny classic-BPF assembler with labels: just the instructions a seccomp filter needs (load a word of
// struct seccomp_data, compare with a constant, AND with a constant, jump, return). Jumps name labels;
// assemble() turns them into the forward offsets BPF wants and refuses anything the kernel's checker
// would refuse (a backward jump, a conditional jump further than 255, a jump past the end), so a bad
// program fails here, in a unit test, rather than in bwrap at sandbox start.

/** One struct sock_filter. */
export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const BPF = {
  LD_W_ABS: 0x20, // A = *(u32 *)(seccomp_data + k)
  ALU_AND_K: 0x54, // A &= k
  JA: 0x05, // pc += k
  JEQ_K: 0x15, // pc += (A == k) ? jt : jf
  JGT_K: 0x25, // pc += (A > k) ? jt : jf   (unsigned)
  JGE_K: 0x35, // pc += (A >= k) ? jt : jf  (unsigned)
  JSET_K: 0x45, // pc += (A & k) ? jt : jf
  RET_K: 0x06, // return k
} as const;

/** The largest program the kernel loads (BPF_MAXINSNS). */
export const BPF_MAX_INSNS = 4096;

/** A jump target: a label, or null for "the next instruction". */
export type Target = string | null;

type Pending =
  | { kind: 'plain'; code: number; k: number }
  | { kind: 'cond'; code: number; k: number; jt: Target; jf: Target }
  | { kind: 'ja'; target: string };

export class Assembler {
  private readonly code: Pending[] = [];
  private readonly labels = new Map<string, number>();

  /** Number of instructions so far (the index the next one gets). */
  get length(): number {
    return this.code.length;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`BPF label '${name}' defined twice`);
    this.labels.set(name, this.code.length);
    return this;
  }

  hasLabel(name: string): boolean {
    return this.labels.has(name);
  }

  ld(offset: number): this {
    this.code.push({ kind: 'plain', code: BPF.LD_W_ABS, k: offset });
    return this;
  }

  and(k: number): this {
    this.code.push({ kind: 'plain', code: BPF.ALU_AND_K, k });
    return this;
  }

  ret(k: number): this {
    this.code.push({ kind: 'plain', code: BPF.RET_K, k });
    return this;
  }

  ja(target: string): this {
    this.code.push({ kind: 'ja', target });
    return this;
  }

  jeq(k: number, jt: Target, jf: Target = null): this {
    return this.cond(BPF.JEQ_K, k, jt, jf);
  }

  jgt(k: number, jt: Target, jf: Target = null): this {
    return this.cond(BPF.JGT_K, k, jt, jf);
  }

  jge(k: number, jt: Target, jf: Target = null): this {
    return this.cond(BPF.JGE_K, k, jt, jf);
  }

  jset(k: number, jt: Target, jf: Target = null): this {
    return this.cond(BPF.JSET_K, k, jt, jf);
  }

  private cond(code: number, k: number, jt: Target, jf: Target): this {
    this.code.push({ kind: 'cond', code, k, jt, jf });
    return this;
  }

  assemble(): Insn[] {
    if (this.code.length > BPF_MAX_INSNS)
      throw new Error(`BPF program of ${this.code.length} instructions; the kernel takes at most ${BPF_MAX_INSNS}`);
    const offset = (from: number, target: Target, max: number): number => {
      if (target === null) return 0;
      const at = this.labels.get(target);
      if (at === undefined) throw new Error(`BPF label '${target}' is never defined`);
      const off = at - from - 1;
      if (off < 0) throw new Error(`BPF jump from ${from} back to '${target}' (${at}): classic BPF jumps only forward`);
      if (off > max) throw new Error(`BPF jump from ${from} to '${target}' is ${off} instructions; at most ${max}`);
      if (at >= this.code.length) throw new Error(`BPF label '${target}' is past the last instruction`);
      return off;
    };
    const program = this.code.map((p, i): Insn => {
      switch (p.kind) {
        case 'plain':
          return { code: p.code, jt: 0, jf: 0, k: p.k >>> 0 };
        case 'ja':
          return { code: BPF.JA, jt: 0, jf: 0, k: offset(i, p.target, 0xffffffff) };
        case 'cond':
          return { code: p.code, jt: offset(i, p.jt, 255), jf: offset(i, p.jf, 255), k: p.k >>> 0 };
      }
    });
    const last = program.at(-1);
    if (!last || last.code !== BPF.RET_K) throw new Error('a BPF program must end with a return');
    return program;
  }
}

/** The filter as bwrap reads it from its fd: struct sock_filter[] in native (little-endian) order. */
export function encode(program: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}

/** The inverse of encode (for tests, and for reading a filter back). */
export function decode(buf: Buffer): Insn[] {
  if (buf.length % 8 !== 0) throw new Error(`a BPF program is a multiple of 8 bytes, got ${buf.length}`);
  const program: Insn[] = [];
  for (let i = 0; i < buf.length; i += 8) {
    program.push({
      code: buf.readUInt16LE(i),
      jt: buf.readUInt8(i + 2),
      jf: buf.readUInt8(i + 3),
      k: buf.readUInt32LE(i + 4),
    });
  }
  return program;
}
