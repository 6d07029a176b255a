import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DENIED_SYSCALLS_X64, seccompFilter, seccompProgramX64 } from '../../src/runner/backends/local/seccomp.js';

// A tiny classic-BPF interpreter: enough to run our filter against sample syscalls.
function run(nr: number, arch = 0xc000003e, arg1 = 0): number {
  const p = seccompProgramX64();
  const data = (off: number): number => (off === 0 ? nr : off === 4 ? arch : off === 24 ? arg1 : 0);
  let acc = 0;
  for (let pc = 0; pc < p.length; ) {
    const i = p[pc];
    assert.ok(i);
    switch (i.code) {
      case 0x20: acc = data(i.k); pc++; break;
      case 0x15: pc += 1 + (acc === i.k ? i.jt : i.jf); break;
      case 0x35: pc += 1 + (acc >>> 0 >= i.k >>> 0 ? i.jt : i.jf); break;
      case 0x06: return i.k >>> 0;
      default: throw new Error(`unknown opcode ${i.code}`);
    }
  }
  throw new Error('fell off the end');
}

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const KILL = 0x80000000;

describe('the seccomp filter', () => {
  it('refuses every denied call with EPERM', () => {
    for (const [name, nr] of Object.entries(DENIED_SYSCALLS_X64)) assert.equal(run(nr), EPERM, name);
  });
  it('allows what the runtime needs', () => {
    for (const nr of [0, 1, 9, 56, 59, 202, 231, 435 /* clone3 */]) assert.equal(run(nr), ALLOW, String(nr));
  });
  it('refuses TIOCSTI and TIOCLINUX but allows other ioctls', () => {
    assert.equal(run(16, undefined, 0x5412), EPERM);
    assert.equal(run(16, undefined, 0x541c), EPERM);
    assert.equal(run(16, undefined, 0x5401), ALLOW);
  });
  it('refuses the x32 ABI and kills any other architecture', () => {
    assert.equal(run(0x40000000 + 1), EPERM);
    assert.equal(run(1, 0x40000003), KILL);
  });
  it('serialises as struct sock_filter, 8 bytes per instruction', () => {
    const buf = seccompFilter('x64');
    assert.ok(buf);
    assert.equal(buf.length, seccompProgramX64().length * 8);
    assert.equal(buf.readUInt16LE(0), 0x20);
    assert.equal(seccompFilter('arm64'), null);
  });
});
