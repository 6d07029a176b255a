// The environment of an aci runner against the fakes: Azurite for storage, the ARM fake for Azure (over
// HTTPS with the test CA, signed in through the fake Entra as production signs in), short deadlines so
// a scenario that goes wrong fails in seconds.
import Keyv from 'keyv';
import type { AciConfig } from '../../src/config.js';
import { LocalAdmissionStore } from '../../src/runner/admission.js';
import { AciBudget } from '../../src/runner/backends/aci/budget.js';
import { TEST_SUBSCRIPTION, type FakeArm } from '../fakes/arm.js';

export function aciTestEnv(arm: FakeArm, storageConnectionString: string, over: Record<string, string> = {}): Record<string, string> {
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
