// Guild settings, stored in Keyv (so every process and shard sharing the store sees the same ones):
// auto-run channels, the ▶️ trigger on or off, roles that may trigger anyone's code, and the guild's own
// limits (never above the global ones). Changed with /sharpbox settings by members who can manage the
// server.
import type Keyv from 'keyv';

export interface GuildSettings {
  autorunChannels: string[];
  /** null: the service default (BOT_REACTION_TRIGGER). */
  reactionTrigger: boolean | null;
  triggerRoles: string[];
  userRunsPerMinute: number | null;
  guildRunsPerMinute: number | null;
}

export const DEFAULT_SETTINGS: GuildSettings = {
  autorunChannels: [],
  reactionTrigger: null,
  triggerRoles: [],
  userRunsPerMinute: null,
  guildRunsPerMinute: null,
};

/** The store could not be reached: nothing was changed. */
export class SettingsUnavailable extends Error {}

export class GuildSettingsStore {
  /**
   * Each guild's settings as last read, for reads while the store (Redis) is away: a server keeps its
   * auto-run channels and limits through an outage instead of falling back to the defaults.
   */
  private readonly lastKnown = new Map<string, GuildSettings>();

  constructor(private readonly keyv: Keyv) {}

  async get(guildId: string | null): Promise<GuildSettings> {
    if (!guildId) return DEFAULT_SETTINGS;
    try {
      return await this.read(guildId);
    } catch {
      return this.lastKnown.get(guildId) ?? DEFAULT_SETTINGS;
    }
  }

  /** Read, changed and written while the store answers; SettingsUnavailable (nothing changed) when not. */
  async update(guildId: string, change: (s: GuildSettings) => GuildSettings): Promise<GuildSettings> {
    try {
      const next = change(await this.read(guildId));
      await this.keyv.set(`guild:${guildId}:settings`, next);
      this.lastKnown.set(guildId, next);
      return next;
    } catch (err) {
      throw new SettingsUnavailable(err instanceof Error ? err.message : String(err));
    }
  }

  private async read(guildId: string): Promise<GuildSettings> {
    const stored = await this.keyv.get<Partial<GuildSettings>>(`guild:${guildId}:settings`);
    const settings = { ...DEFAULT_SETTINGS, ...stored };
    this.lastKnown.set(guildId, settings);
    return settings;
  }
}

/** The /sharpbox settings options, applied to the current settings. Pure. */
export interface SettingsChange {
  autorunChannel?: { channelId: string; on: boolean };
  reactionTrigger?: boolean;
  triggerRole?: { roleId: string; on: boolean };
  userRunsPerMinute?: number;
  guildRunsPerMinute?: number;
}

export function applyChange(
  s: GuildSettings,
  c: SettingsChange,
  caps: { userRunsPerMinute: number; guildRunsPerMinute: number },
): GuildSettings {
  const toggle = (list: string[], id: string, on: boolean): string[] =>
    on ? [...new Set([...list, id])] : list.filter((x) => x !== id);
  return {
    autorunChannels: c.autorunChannel
      ? toggle(s.autorunChannels, c.autorunChannel.channelId, c.autorunChannel.on)
      : s.autorunChannels,
    reactionTrigger: c.reactionTrigger ?? s.reactionTrigger,
    triggerRoles: c.triggerRole ? toggle(s.triggerRoles, c.triggerRole.roleId, c.triggerRole.on) : s.triggerRoles,
    userRunsPerMinute:
      c.userRunsPerMinute !== undefined ? Math.min(c.userRunsPerMinute, caps.userRunsPerMinute) : s.userRunsPerMinute,
    guildRunsPerMinute:
      c.guildRunsPerMinute !== undefined
        ? Math.min(c.guildRunsPerMinute, caps.guildRunsPerMinute)
        : s.guildRunsPerMinute,
  };
}

export function describeSettings(
  s: GuildSettings,
  defaults: { reactionTrigger: boolean; userRunsPerMinute: number; guildRunsPerMinute: number },
): string {
  const channels = s.autorunChannels.length > 0 ? s.autorunChannels.map((c) => `<#${c}>`).join(', ') : 'none';
  const roles = s.triggerRoles.length > 0 ? s.triggerRoles.map((r) => `<@&${r}>`).join(', ') : 'none';
  return [
    '⚙️ **sharpbox settings for this server**',
    `• auto-run channels: ${channels}`,
    `• ▶️ trigger: ${(s.reactionTrigger ?? defaults.reactionTrigger) ? 'on' : 'off'}`,
    `• roles that may ▶️ anyone's code: ${roles}`,
    `• runs per user per minute: ${s.userRunsPerMinute ?? defaults.userRunsPerMinute}`,
    `• runs for this server per minute: ${s.guildRunsPerMinute ?? defaults.guildRunsPerMinute}`,
  ].join('\n');
}
