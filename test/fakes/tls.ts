// The test-only TLS material of the Azure fakes (test/fakes/tls/README.md says how it was made): the
// server's key and certificate, signed by a test CA that Node trusts through NODE_EXTRA_CA_CERTS. Node
// reads that variable once, when a process starts, so a fake checks it before serving: a test run
// without it would otherwise fail deep inside an SDK with "self-signed certificate in certificate chain".
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = join(root, 'test', 'fakes', 'tls');

/** The test CA, as NODE_EXTRA_CA_CERTS must name it (absolute, for processes started elsewhere). */
export const TEST_CA_PATH = join(dir, 'ca.pem');

export function serverTls(): { key: Buffer; cert: Buffer } {
  assertTestCaTrusted();
  return { key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server.pem')) };
}

function assertTestCaTrusted(): void {
  const named = process.env.NODE_EXTRA_CA_CERTS;
  let same = false;
  try {
    same = named !== undefined && readFileSync(resolve(named)).equals(readFileSync(TEST_CA_PATH));
  } catch {
    same = false;
  }
  if (!same) {
    throw new Error(
      `the Azure fakes serve HTTPS with a test CA that this process does not trust: start it with NODE_EXTRA_CA_CERTS=${TEST_CA_PATH} (npm test does; Node reads the variable only at start-up)`,
    );
  }
}
