// A real Azurite (Blob) on a free port of 127.0.0.1, in memory, started from the npm package. With
// `oauth`, it serves HTTPS with the test certificate (test/fakes/tls) and takes bearer tokens
// (`--oauth basic`: it checks a token's issuer, audience and lifetime, not its signature), as a storage
// account reached with an identity instead of a key does.
import { spawn } from 'node:child_process';
import { BlobServiceClient } from '@azure/storage-blob';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TEST_CA_PATH } from '../fakes/tls.js';

export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  connectionString: string;
  blobEndpoint: string;
  stop(): Promise<void>;
}

export async function startAzurite(options: { oauth?: boolean } = {}): Promise<Azurite> {
  const main = join(
    dirname(createRequire(import.meta.url).resolve('azurite/package.json')),
    'dist',
    'src',
    'blob',
    'main.js',
  );
  const tls = dirname(TEST_CA_PATH);
  const oauth = options.oauth
    ? ['--cert', join(tls, 'server.pem'), '--key', join(tls, 'server-key.pem'), '--oauth', 'basic']
    : [];
  // --disableTelemetry: Azurite phones home by default, and this machine has no internet.
  const child = spawn(
    process.execPath,
    [
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
      ...oauth,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${out}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /successfully listens on https?:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`Azurite exited (${code}): ${out}`)));
  });
  const scheme = options.oauth ? 'https' : 'http';
  const blobEndpoint = `${scheme}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=${scheme};AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Every blob name in a container of the account (none when the container does not exist): what a run left. */
export async function blobsIn(connectionString: string, containerName = 'sharpbox-runs'): Promise<string[]> {
  const names: string[] = [];
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  if (!(await container.exists())) return names;
  for await (const b of container.listBlobsFlat()) names.push(b.name);
  return names;
}
