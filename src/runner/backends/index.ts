// Backends by name, picked by config (SHARPBOX_BACKEND). Each is loaded only when chosen: the Azure SDK
// costs a local-only service (and every CLI call) tens of megabytes and hundreds of milliseconds.
import type { BackendName, Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { SandboxBackend } from '../backend.js';

const backends: Record<BackendName, (cfg: Config, log: Logger) => Promise<SandboxBackend>> = {
  local: async (cfg, log) => new (await import('./local/index.js')).LocalBackend(cfg, log.child({ backend: 'local' })),
  aci: async (cfg, log) => new (await import('./aci/index.js')).AciBackend(cfg, log.child({ backend: 'aci' })),
};

export function backendFromConfig(cfg: Config, log: Logger): Promise<SandboxBackend> {
  const make = backends[cfg.backend];
  if (!make) throw new Error(`Unknown runner backend '${cfg.backend}' (expected: ${Object.keys(backends).join(', ')})`);
  return make(cfg, log);
}
