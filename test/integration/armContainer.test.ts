// The ARM fake's "container" (test/fakes/armContainer.ts) behaves as a container where the sandbox image
// relies on it: root with Docker's default capabilities, pid 1 of its own PID namespace, its own /tmp,
// and gone entirely when killed. A stand-in image prints what it sees and stays up.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { killContainer, stageContainerImage, startContainer } from '../fakes/armContainer.js';

/** Docker's default capability set as /proc/PID/status prints it. */
const DOCKER_DEFAULT_CAPS = '00000000a80425fb';

const ENTRY = `#!/bin/sh
# Each line: what this container sees. Then it stays up (a child of its own included) until killed.
echo "uid=$(id -u) pid=$$ caps=$(grep CapEff /proc/self/status | cut -f2) image=$(ls /sharpbox | tr '\\n' ,)"
touch "/tmp/mark-$NAME"
# Long enough for the other container to have made its mark too.
sleep 1
echo "tmp=$(ls -A /tmp | tr '\\n' ,)"
echo "names=$(for p in /proc/[0-9]*; do tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep '^NAME='; done | sort -u | tr '\\n' ,)"
sleep 3600 &
echo ready
wait
`;

let dir = '';
let image = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sharpbox-armcontainer-'));
  await mkdir(join(dir, 'bin', 'host'), { recursive: true });
  await writeFile(join(dir, 'entry.sh'), ENTRY, { mode: 0o755 });
  image = await stageContainerImage(dir);
});

after(async () => {
  await rm(image, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  lines: () => string[];
  ready: Promise<void>;
  exited: Promise<number>;
}

function start(name: string): Running {
  let out = '';
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  let exited!: (code: number) => void;
  const exitedP = new Promise<number>((r) => (exited = r));
  const child = startContainer(
    image,
    [{ name: 'NAME', value: name }],
    (text) => {
      out += text;
      if (out.includes('ready\n')) ready();
    },
    (code) => exited(code),
  );
  return { child, lines: () => out.split('\n'), ready: readyP, exited: exitedP };
}

/** Host pids whose environment says NAME=name (the container's processes, seen from outside). */
function hostPidsOf(name: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(`NAME=${name}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("the ARM fake's container", () => {
  it('is root with Docker default capabilities as pid 1, sees only its own processes and /tmp, and is gone when killed', async () => {
    const a = start('a');
    const b = start('b');
    try {
      await Promise.all([a.ready, b.ready]);
      for (const [c, name] of [
        [a, 'a'],
        [b, 'b'],
      ] as const) {
        assert.ok(
          c.lines().includes(`uid=0 pid=1 caps=${DOCKER_DEFAULT_CAPS} image=entry.sh,host,`),
          c.lines().join('\n'),
        );
        assert.ok(
          c.lines().includes(`tmp=mark-${name},`),
          `${name} sees its own mark in /tmp, not the other's\n${c.lines().join('\n')}`,
        );
        assert.ok(
          c.lines().includes(`names=NAME=${name},`),
          `${name} sees no process of the other\n${c.lines().join('\n')}`,
        );
      }
      assert.ok(hostPidsOf('a').length >= 2, 'the entry and its sleep');
      killContainer(a.child);
      assert.equal(await a.exited, 137);
      // Its pid 1 died, so the kernel ended the rest of its PID namespace (the sleep), not b's.
      const deadline = Date.now() + 5000;
      while (hostPidsOf('a').length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(hostPidsOf('a'), []);
      assert.ok(hostPidsOf('b').length >= 2, 'b is untouched');
    } finally {
      killContainer(a.child);
      killContainer(b.child);
      await Promise.all([a.exited, b.exited]);
    }
  });
});
