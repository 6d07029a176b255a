// What every handler of the bot is given: the REST client, the sessions, the service's settings for the
// bot and each guild's, and the logger. Built once in index.ts.
import type { REST } from 'discord.js';
import type { DiscordConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { SessionRegistry } from './registry.js';
import type { GuildSettingsStore } from './settings.js';

export interface PlaceRules {
  /** Every C# block here runs without a ▶️. */
  autorun: boolean;
  /** ▶️ is offered on C# blocks here. */
  reactions: boolean;
  /** Roles whose members may ▶️ anyone's code. */
  triggerRoles: string[];
}

export interface BotContext {
  rest: REST;
  log: Logger;
  sessions: SessionRegistry;
  discord: DiscordConfig;
  /** The source cap (a /run file over it is refused before it is downloaded whole). */
  sourceBytes: number;
  /** The service's fair-use limits: a guild's own settings may only lower them. */
  caps: { userRunsPerMinute: number; guildRunsPerMinute: number };
  settings: GuildSettingsStore;
}

/** Where code runs without ▶️, and whether ▶️ is offered elsewhere: the service's settings and the guild's. */
export async function placeRules(ctx: BotContext, guildId: string | null, channelId: string): Promise<PlaceRules> {
  const s = await ctx.settings.get(guildId);
  return {
    autorun: !guildId || ctx.discord.autorunChannels.includes(channelId) || s.autorunChannels.includes(channelId),
    reactions: s.reactionTrigger ?? ctx.discord.reactionTrigger,
    triggerRoles: [...ctx.discord.triggerRoles, ...s.triggerRoles],
  };
}
