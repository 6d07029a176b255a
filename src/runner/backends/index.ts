// Backends by name, picked by config (SHARPBOX_BACKEND).
import type { BackendName, Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { SandboxBackend } from '../backend.js';
import { AciBackend } from './aci/index.js';
import { LocalBackend } from './local/index.js';

const backends: Record<BackendName, (cfg: Config, log: Logger) => SandboxBackend> = {
  local: (cfg, log) => new LocalBackend(cfg, log.child({ backend: 'local' })),
  aci: (cfg, log) => new AciBackend(cfg, log.child({ backend: 'aci' })),
};

export function backendFromConfig(cfg: Config, log: Logger): SandboxBackend {
  const make = backends[cfg.backend];
  if (!make) throw new Error(`Unknown runner backend '${cfg.backend}' (expected: ${Object.keys(backends).join(', ')})`);
  return make(cfg, log);
}
