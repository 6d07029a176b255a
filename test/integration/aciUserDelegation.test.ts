// The aci backend's storage without an account key, as production runs it with a managed identity: the
// production clients (clients.ts) with DefaultAzureCredential signed in at the fake Entra, against
// Azurite on HTTPS taking bearer tokens, and the container's SAS URLs signed with a user-delegation key
// that the service's own identity obtained.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createAciClients, type AciClients } from '../../src/runner/backends/aci/clients.js';
import { FakeClock } from '../fakes/clock.js';
import { FakeEntra } from '../fakes/entra.js';
import { TEST_SUBSCRIPTION } from '../fakes/arm.js';
import { startAzurite, type Azurite } from '../support/azurite.js';

let entra: FakeEntra;
let azurite: Azurite;
let clients: AciClients;

before(async () => {
  entra = await FakeEntra.start(new FakeClock());
  // @azure/identity reads these from process.env itself (test/support/aciEnv.ts).
  Object.assign(process.env, entra.credentialEnv());
  azurite = await startAzurite({ oauth: true });
  const config = loadConfig({
    SHARPBOX_BACKEND: 'aci',
    AZURE_SUBSCRIPTION_ID: TEST_SUBSCRIPTION,
    AZURE_RESOURCE_GROUP: 'sharpbox-runs',
    AZURE_LOCATION: 'westeurope',
    ACI_IMAGE: 'example.azurecr.io/sharpbox-sandbox:1',
    // Never called here.
    AZURE_ARM_ENDPOINT: 'https://127.0.0.1:9',
    AZURE_STORAGE_ACCOUNT_URL: azurite.blobEndpoint,
    AZURE_DISABLE_INSTANCE_DISCOVERY: 'true',
  });
  clients = createAciClients(config.aci);
  await clients.container.createIfNotExists();
});

after(async () => {
  await azurite?.stop();
  await entra?.stop();
});

describe('the aci backend on a key-less storage account', () => {
  it("reaches storage with a token of the service's own identity", async () => {
    const blob = clients.container.getBlockBlobClient('runs/x/Program.cs');
    await blob.upload('Console.WriteLine(1);', 21);
    assert.ok(entra.requests.some((r) => r.path.endsWith('/oauth2/v2.0/token') && r.status === 200));
    assert.equal((await blob.downloadToBuffer()).toString(), 'Console.WriteLine(1);');
  });

  it('signs https-only SAS URLs with a user-delegation key: the code readable, the result writable, nothing more', async () => {
    const code = clients.container.getBlockBlobClient('runs/y/Program.cs');
    await code.upload('Console.WriteLine(2);', 21);
    const read = new URL(await clients.sasUrl(code, 'r', 5));
    assert.equal(read.protocol, 'https:');
    assert.deepEqual(
      ['sp', 'spr', 'skoid', 'sktid'].map((k) => read.searchParams.get(k)),
      ['r', 'https', entra.app.objectId, entra.app.tenantId],
      'a read-only, https-only SAS signed by our identity',
    );
    const got = await fetch(read);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'Console.WriteLine(2);');
    assert.equal(
      (await fetch(read, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'changed' })).status,
      403,
      'the code cannot be overwritten',
    );

    const result = new URL(await clients.sasUrl(clients.container.getBlockBlobClient('runs/y/result.json'), 'cw', 5));
    assert.equal(
      (await fetch(result, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: '{}' })).status,
      201,
    );
    assert.equal((await fetch(result)).status, 403, 'the result cannot be read back through its SAS');
  });
});
