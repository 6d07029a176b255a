// A classic-BPF interpreter for seccomp programs: every opcode our filter assembler emits (ld abs, and k,
// ja, jeq/jgt/jge/jset k, ret k), over a struct seccomp_data built from a call. The unit test runs the
// filter through it for every number and argument case; the sweep test uses it to predict, from the
// filter bytes the service really installs, what the kernel will answer.
import { BPF, type Insn } from '../../src/runner/backends/local/seccomp/bpf.js';

export const AUDIT_ARCH_X86_64 = 0xc000003e;

export interface SeccompCall {
  nr: number;
  arch?: number;
  /** Up to six arguments, as 64-bit values. */
  args?: readonly bigint[];
}

/** Returns the filter's 32-bit verdict (SECCOMP_RET_*) for the call. */
export function runFilter(program: readonly Insn[], call: SeccompCall): number {
  const words = new Map<number, number>();
  words.set(0, call.nr >>> 0);
  words.set(4, (call.arch ?? AUDIT_ARCH_X86_64) >>> 0);
  for (let i = 0; i < 6; i++) {
    const v = BigInt.asUintN(64, call.args?.[i] ?? 0n);
    words.set(16 + 8 * i, Number(v & 0xffffffffn));
    words.set(16 + 8 * i + 4, Number(v >> 32n));
  }
  let a = 0;
  let steps = 0;
  for (let pc = 0; pc < program.length;) {
    if (++steps > program.length) throw new Error('the program loops (classic BPF cannot)');
    const i = program[pc];
    if (!i) throw new Error(`no instruction at ${pc}`);
    const jump = (cond: boolean): number => pc + 1 + (cond ? i.jt : i.jf);
    switch (i.code) {
      case BPF.LD_W_ABS: {
        const w = words.get(i.k);
        if (w === undefined) throw new Error(`load from offset ${i.k}, outside struct seccomp_data or unaligned`);
        a = w;
        pc++;
        break;
      }
      case BPF.ALU_AND_K:
        a = (a & i.k) >>> 0;
        pc++;
        break;
      case BPF.JA:
        pc = pc + 1 + i.k;
        break;
      case BPF.JEQ_K:
        pc = jump(a === i.k >>> 0);
        break;
      case BPF.JGT_K:
        pc = jump(a > i.k >>> 0);
        break;
      case BPF.JGE_K:
        pc = jump(a >= i.k >>> 0);
        break;
      case BPF.JSET_K:
        pc = jump((a & i.k) !== 0);
        break;
      case BPF.RET_K:
        return i.k >>> 0;
      default:
        throw new Error(`opcode 0x${i.code.toString(16)} at ${pc} is not one our filter uses`);
    }
  }
  throw new Error('fell off the end of the program');
}

const RET_ERRNO = 0x00050000;
const ACTION_MASK = 0xffff0000;

/** A verdict in words: 'allow', 'log', 'kill', or the errno number (what the caller sees as -1/errno). */
export type Verdict = 'allow' | 'log' | 'kill' | number;

export function verdict(ret: number): Verdict {
  const action = (ret & ACTION_MASK) >>> 0;
  if (ret === 0x7fff0000) return 'allow';
  if (ret === 0x7ffc0000) return 'log';
  if (ret === 0x80000000) return 'kill';
  if (action === RET_ERRNO) return ret & 0xffff;
  throw new Error(`unexpected seccomp verdict 0x${ret.toString(16)}`);
}

const CONDITIONAL: readonly number[] = [BPF.JEQ_K, BPF.JGT_K, BPF.JGE_K, BPF.JSET_K];

/** Every jump lands on an instruction of the program (what the kernel's checker demands). */
export function jumpTargetsInside(program: readonly Insn[]): string[] {
  const problems: string[] = [];
  program.forEach((i, pc) => {
    const targets =
      i.code === BPF.JA ? [pc + 1 + i.k] : CONDITIONAL.includes(i.code) ? [pc + 1 + i.jt, pc + 1 + i.jf] : [];
    for (const t of targets)
      if (t >= program.length) problems.push(`instruction ${pc} jumps to ${t}, past the end (${program.length})`);
  });
  return problems;
}
