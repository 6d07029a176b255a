// The environment of an aci runner against the fakes: Azurite for storage, the ARM fake for Azure (over
// HTTPS with the test CA, signed in through the fake Entra as production signs in), short deadlines so
// a scenario that goes wrong fails in seconds.
import Keyv from 'keyv';
import type { AciConfig } from '../../src/config.js';
import { LocalAdmissionStore } from '../../src/runner/admission.js';
import type { Decision } from '../../src/runner/admission.js';
import { AciBudget, type AzureBudget } from '../../src/runner/backends/aci/budget.js';
import type { FakeClock } from '../fakes/clock.js';
import { TEST_SUBSCRIPTION, type FakeArm } from '../fakes/arm.js';

export function aciTestEnv(
  arm: FakeArm,
  storageConnectionString: string,
  over: Record<string, string> = {},
): Record<string, string> {
  return {
    SHARPBOX_BACKEND: 'aci',
    AZURE_SUBSCRIPTION_ID: TEST_SUBSCRIPTION,
    AZURE_RESOURCE_GROUP: 'sharpbox-runs',
    AZURE_LOCATION: 'westeurope',
    ACI_IMAGE: 'example.azurecr.io/sharpbox-sandbox:1',
    ...arm.clientEnv(),
    AZURE_STORAGE_CONNECTION_STRING: storageConnectionString,
    RUN_TIMEOUT_MS: '3000',
    COMPILE_TIMEOUT_MS: '15000',
    ACI_STARTUP_ALLOWANCE_MS: '5000',
    ACI_SWEEP_INTERVAL_MS: '3600000',
    // Look for results and states often: a test's few runs are far below every budget.
    ACI_RESULT_POLL_MS: '100',
    ACI_STATE_POLL_MS: '250',
    ACI_INSPECT_MS: '1000',
    LOG_LEVEL: 'silent',
    ...over,
  };
}

/**
 * @azure/identity reads its variables (AZURE_TENANT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST, …)
 * from process.env itself, not from our config, so a runner made inside the test process needs them
 * there. A spawned service gets them from its environment as production does.
 */
export function useFakeIdentity(arm: FakeArm): void {
  Object.assign(process.env, arm.entra.credentialEnv());
}

/** Azure's budgets for a backend made by hand, this process's alone (in memory), as createRunner gives one without a store. */
export function localBudget(aci: AciConfig): AciBudget {
  return new AciBudget(new LocalAdmissionStore(new Keyv()), aci);
}

/**
 * The production budget on a fast fake clock (Azure's minutes pass in seconds): its windows are Azure's,
 * counted in fake time, and the waits it answers come back in real time, which is what a backend sleeps.
 */
export function fakeTimeBudget(aci: AciConfig, clock: FakeClock): AzureBudget {
  const inner = new AciBudget(new LocalAdmissionStore(new Keyv(), () => clock.now()), aci);
  const real = (d: Decision): Decision => (d.ok ? d : { ...d, retryAfterMs: Math.ceil(clock.realMs(d.retryAfterMs)) });
  return {
    create: async (m) => real(await inner.create(m)),
    delete: async (m) => real(await inner.delete(m)),
    read: async (m) => real(await inner.read(m)),
  };
}
