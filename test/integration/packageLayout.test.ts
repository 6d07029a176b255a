// The runner host's `packages-layout` (container/host/PackageLayout.cs) on a restore it is handed: what it
// lays out of a package's closure, what it leaves to the framework, and what it refuses to copy at all.
// The restore is made up (two packages whose assemblies are copies of real ones), so each rule is seen
// on its own; packages.test.ts checks the real layout that setup made.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const hostDir = join(root, 'container', 'bin', 'host');
const realPackages = join(hostDir, 'packages');

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'sharpbox-layout-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Item {
  /** Path inside the package, as project.assets.json names it. */
  path: string;
  /** The real file its bytes come from (none for `_._`). */
  from?: string;
}

/** A made-up restore: Fake.A (allowed, asking for `asked`) depends on Fake.B. Returns the assets file. */
async function restore(
  name: string,
  a: { compile: Item[]; runtime: Item[] },
  b: { compile: Item[]; runtime: Item[] },
  asked = '[1.0.0, )',
) {
  const dir = join(work, name);
  const nuget = join(dir, 'nuget');
  const place = async (pkg: string, items: Item[]): Promise<Record<string, object>> => {
    const out: Record<string, object> = {};
    for (const item of items) {
      const file = join(nuget, pkg, item.path);
      await mkdir(dirname(file), { recursive: true });
      if (item.from) await copyFile(item.from, file);
      else await writeFile(file, '');
      out[item.path] = {};
    }
    return out;
  };
  const assets = {
    version: 3,
    targets: {
      'net10.0': {
        'Fake.A/1.0.0': {
          type: 'package',
          dependencies: { 'Fake.B': '2.0.0' },
          compile: await place('fake.a/1.0.0', a.compile),
          runtime: await place('fake.a/1.0.0', a.runtime),
        },
        'Fake.B/2.0.0': {
          type: 'package',
          compile: await place('fake.b/2.0.0', b.compile),
          runtime: await place('fake.b/2.0.0', b.runtime),
        },
      },
    },
    libraries: { 'Fake.A/1.0.0': { path: 'fake.a/1.0.0' }, 'Fake.B/2.0.0': { path: 'fake.b/2.0.0' } },
    packageFolders: { [`${nuget}/`]: {} },
    project: { frameworks: { 'net10.0': { dependencies: { 'Fake.A': { target: 'Package', version: asked } } } } },
  };
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'project.assets.json');
  await writeFile(path, JSON.stringify(assets));
  return path;
}

function layout(assets: string, out: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'dotnet',
      [join(hostDir, 'sharpbox-host.dll'), 'packages-layout', assets, out, 'stamp-1'],
      { timeout: 60_000 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const newtonsoft = join(realPackages, 'newtonsoft.json', '13.0.4', 'lib', 'net6.0', 'Newtonsoft.Json.dll');
const humanizer = join(realPackages, 'humanizer.core', '3.0.10', 'lib', 'net10.0', 'Humanizer.dll');

describe('packages-layout', () => {
  it("lays out a package's closure: ref/ to compile, lib/ to run, no placeholders, nothing of the framework", async () => {
    const assets = await restore(
      'closure',
      {
        compile: [{ path: 'ref/net8.0/Fake.A.dll', from: newtonsoft }],
        runtime: [{ path: 'lib/net8.0/Fake.A.dll', from: newtonsoft }],
      },
      {
        // A placeholder, and a file the shared framework carries (System.Runtime.dll is in refs/).
        compile: [
          { path: 'lib/net8.0/_._' },
          { path: 'lib/net8.0/System.Runtime.dll', from: newtonsoft },
          { path: 'lib/net8.0/Fake.B.dll', from: humanizer },
        ],
        runtime: [{ path: 'lib/net8.0/Fake.B.dll', from: humanizer }],
      },
    );
    const out = join(work, 'closure', 'out');
    const r = await layout(assets, out);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')), {
      packages: [
        {
          id: 'Fake.A',
          version: '1.0.0',
          compile: ['fake.a/1.0.0/ref/net8.0/Fake.A.dll', 'fake.b/2.0.0/lib/net8.0/Fake.B.dll'],
        },
      ],
      // By the assembly name inside each file, which is what a program's reference names.
      assemblies: {
        Humanizer: 'fake.b/2.0.0/lib/net8.0/Fake.B.dll',
        'Newtonsoft.Json': 'fake.a/1.0.0/lib/net8.0/Fake.A.dll',
      },
    });
    assert.equal(await readFile(join(out, '.stamp'), 'utf8'), 'stamp-1\n');
    assert.equal(existsSync(join(out, 'fake.b', '2.0.0', 'lib', 'net8.0', 'System.Runtime.dll')), false);
    assert.equal(existsSync(join(out, 'fake.b', '2.0.0', 'lib', 'net8.0', '_._')), false);
  });

  for (const folder of ['analyzers/dotnet/cs', 'build', 'buildTransitive/net8.0', 'tools']) {
    it(`refuses a package whose assets name ${folder.split('/')[0]}/, and lays out nothing`, async () => {
      const name = folder.split('/')[0] ?? folder;
      const assets = await restore(
        `refuse-${name}`,
        { compile: [{ path: `${folder}/Fake.A.dll`, from: newtonsoft }], runtime: [] },
        { compile: [], runtime: [] },
      );
      const out = join(work, `refuse-${name}`, 'out');
      const r = await layout(assets, out);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `packages-layout: unexpected compile item ${folder}/Fake.A.dll: only lib/ and ref/ assemblies are laid out\n`,
      );
      assert.equal(existsSync(out), false);
      assert.equal(existsSync(`${out}.new`), false, 'the staging folder was left behind');
    });
  }

  it('refuses a restore that resolved another version than the allow-list names', async () => {
    const assets = await restore('version', { compile: [], runtime: [] }, { compile: [], runtime: [] }, '[0.9.0, )');
    const r = await layout(assets, join(work, 'version', 'out'));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'packages-layout: Fake.A: the allow-list names [0.9.0, ) but the restore resolved 1.0.0\n');
  });
});
