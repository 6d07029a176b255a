// The aci backend in simulation: Azurite and the ARM fake with a container start-up delay, so what we
// add beyond the container's own time (upload, SAS, create, polling, result, clean-up) is measured.
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { AciBackend } from '../src/runner/backends/aci/index.js';
import { FakeArm, TEST_SUBSCRIPTION } from '../test/fakes/arm.js';
import { useFakeIdentity } from '../test/support/aciEnv.js';
import { startAzurite } from '../test/support/azurite.js';
import { backendOf, createTestRunner } from '../test/support/runner.js';

export interface AciFigures {
  totalMs: number;
  containerMs: number;
  overheadMs: number;
  status: string;
}

/** One Hello World on the aci backend; with `pool`, on a warm pool group once the pool is ready. */
export async function aciRun(startupDelayMs: number, pool: boolean): Promise<AciFigures> {
  const azurite = await startAzurite();
  const arm = await FakeArm.start();
  arm.scenario = { startupDelayMs };
  useFakeIdentity(arm);
  const config = loadConfig({
    ...(pool ? { ACI_WARM_POOL: '1' } : {}),
    ...process.env,
    SHARPBOX_BACKEND: 'aci',
    AZURE_SUBSCRIPTION_ID: TEST_SUBSCRIPTION,
    AZURE_RESOURCE_GROUP: 'bench',
    AZURE_LOCATION: 'westeurope',
    ACI_IMAGE: 'example.azurecr.io/sharpbox-sandbox:1',
    ...arm.clientEnv(),
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    ACI_STARTUP_ALLOWANCE_MS: String(startupDelayMs + 30_000),
    LOG_LEVEL: 'silent',
  });
  const runner = await createTestRunner(config, { log: createLogger('silent') });
  try {
    const backend = backendOf(runner);
    if (pool && backend instanceof AciBackend) await backend.poolReady(startupDelayMs + 60_000);
    const started = performance.now();
    const submitted = runner.submit({ source: 'Console.WriteLine("Hello, World!");' });
    if (!submitted.ok) throw new Error(`refused: ${JSON.stringify(submitted)}`);
    const result = await submitted.handle.result;
    const totalMs = performance.now() - started;
    // The container's own time: from the create request to its exit, as the fake saw it.
    const put = arm.log.find((l) => l.method === 'PUT' && l.status === 201);
    const containerMs = put ? arm.containerSpanMs() : NaN;
    return { totalMs, containerMs, overheadMs: totalMs - containerMs, status: result.status };
  } finally {
    await runner.stop(0);
    await arm.stop();
    await azurite.stop();
  }
}
