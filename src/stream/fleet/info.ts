// This process's name in the fleet and its entry in the process list.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Config } from '../../config.js';
import type { Runner } from '../../runner/index.js';
import type { RunHub } from '../hub.js';
import type { ProcessInfo, ProcessLabel } from '../protocol.js';

/** Unique per start (host, pid, random): a restarted process is a new member, not the old one back. */
export function processLabel(config: Pick<Config, 'discord'>): ProcessLabel {
  const host = hostname();
  const s = config.discord.token ? config.discord.shards : null;
  const shards = s === null ? null : s === 'auto' ? 'auto' : `${s.ids.join(',')}/${s.count}`;
  return { id: `${host}-${process.pid}-${randomBytes(3).toString('hex')}`, host, shards };
}

const VERSION = ((): string => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();

export function processInfo(self: ProcessLabel, hub: RunHub, runner: Runner, startedAt: number): ProcessInfo {
  return {
    ...self,
    backend: runner.backendName,
    version: VERSION,
    startedAt,
    lastHeartbeat: Date.now(),
    alive: true,
    health: hub.backendHealth(),
    counters: hub.counts(),
    stats: hub.stats(),
  };
}
