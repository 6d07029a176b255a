// Backends by name, picked by config (SHARPBOX_BACKEND). Each is loaded only when chosen: the Azure SDK
// costs a local-only service (and every CLI call) tens of megabytes and hundreds of milliseconds.
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { AdmissionStore } from '../admission.js';
import type { SandboxBackend } from '../backend.js';
import type { AciBackendConfig } from './aci/index.js';
import type { LocalBackendConfig } from './local/index.js';

/** Which backend, and the slice of config of each (only the chosen one reads its own). */
export type BackendConfig = Pick<Config, 'backend'> & LocalBackendConfig & AciBackendConfig;

/** What a backend may share with the rest of the process. */
export interface BackendDeps {
  /** The process's store of admissions (STORE_URL): budgets kept there are shared with every process on it. */
  admissions: AdmissionStore;
}

const backends: Record<
  BackendConfig['backend'],
  (cfg: BackendConfig, log: Logger, deps: BackendDeps) => Promise<SandboxBackend>
> = {
  local: async (cfg, log) => new (await import('./local/index.js')).LocalBackend(cfg, log.child({ backend: 'local' })),
  aci: async (cfg, log, deps) => {
    const [{ AciBackend }, { AciBudget }, { createAciClients }] = await Promise.all([
      import('./aci/index.js'),
      import('./aci/budget.js'),
      import('./aci/clients.js'),
    ]);
    return new AciBackend(
      cfg,
      log.child({ backend: 'aci' }),
      () => createAciClients(cfg.aci),
      new AciBudget(deps.admissions, cfg.aci),
    );
  },
};

export function backendFromConfig(cfg: BackendConfig, log: Logger, deps: BackendDeps): Promise<SandboxBackend> {
  const make = backends[cfg.backend];
  if (!make) throw new Error(`Unknown runner backend '${cfg.backend}' (expected: ${Object.keys(backends).join(', ')})`);
  return make(cfg, log, deps);
}
