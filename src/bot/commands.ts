// The application commands: /run, the "Run C#" message context menu and /sharpbox settings. Registered
// at start-up, globally or (for development) to one guild. Typed with discord-api-types' payloads, so
// a wrong field or option type fails to compile.
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ChannelType,
  ComponentType,
  InteractionContextType,
  PermissionFlagsBits,
  TextInputStyle,
  type APIModalInteractionResponseCallbackData,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import {
  isViewKind,
  METHODS_MAX_CHARS,
  OPTIMIZE_CHOICES,
  type CompileOptions,
  type Optimize,
  type ViewKind,
} from '../runner/index.js';

export const RUN_COMMAND = 'run';
export const SETTINGS_COMMAND = 'sharpbox';
export const RUN_MESSAGE_COMMAND = 'Run C#';
/**
 * Message context menus that show what the compiler made of a message's code block (Discord allows 5
 * message commands per app; with Run C# these are 3). Lowered C# is on /run's `view` option only.
 */
export const VIEW_MESSAGE_COMMANDS: Readonly<Record<string, ViewKind>> = { 'Show IL': 'il', 'Show asm': 'asm' };
export const MODAL_ID = 'sb:modal';
export const MODAL_CODE = 'code';
export const MODAL_STDIN = 'stdin';

/** Guilds, the bot's DMs and private channels; installed to a guild or to a user. */
const everywhere = {
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
};

export function commandDefinitions(sourceLimit: number): RESTPostAPIApplicationCommandsJSONBody[] {
  return [
    {
      name: RUN_COMMAND,
      type: ApplicationCommandType.ChatInput,
      description: 'Run C# in the sharpbox sandbox',
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'code',
          description: 'C# code: top-level statements or a class with Main (leave empty for a multi-line editor)',
          required: false,
          max_length: 6000,
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'stdin',
          description: 'Text the program reads from standard input',
          required: false,
          max_length: 6000,
        },
        {
          type: ApplicationCommandOptionType.Attachment,
          name: 'file',
          description: `A .cs file (up to ${Math.floor(sourceLimit / 1024)} KiB)`,
          required: false,
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'view',
          description: 'Run it (default), or show what the compiler made of it',
          required: false,
          choices: [
            { name: 'run', value: 'run' },
            { name: 'IL', value: 'il' },
            { name: 'lowered C#', value: 'lowered' },
            { name: 'JIT assembly (x64)', value: 'asm' },
          ],
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'methods',
          description: 'With view asm: methods to show, e.g. Fib or Program:Fib (default: all of yours)',
          required: false,
          max_length: METHODS_MAX_CHARS,
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'optimize',
          description: 'Compile as Release (the default) or Debug',
          required: false,
          choices: OPTIMIZE_CHOICES.map((c) => ({ name: c, value: c })),
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'lang_version',
          description: 'C# language version, e.g. preview or 13 (default: latest)',
          required: false,
          max_length: 20,
        },
      ],
      ...everywhere,
    },
    { name: RUN_MESSAGE_COMMAND, type: ApplicationCommandType.Message, ...everywhere },
    ...Object.keys(VIEW_MESSAGE_COMMANDS).map((name): RESTPostAPIApplicationCommandsJSONBody => ({
      name,
      type: ApplicationCommandType.Message,
      ...everywhere,
    })),
    {
      name: SETTINGS_COMMAND,
      type: ApplicationCommandType.ChatInput,
      description: 'sharpbox settings for this server',
      // Manage Server: Discord hides the command from everyone else, and the bot checks again.
      default_member_permissions: String(PermissionFlagsBits.ManageGuild),
      contexts: [InteractionContextType.Guild],
      integration_types: [ApplicationIntegrationType.GuildInstall],
      options: [
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: 'settings',
          description: 'Show or change the settings (no options: show them)',
          options: [
            {
              type: ApplicationCommandOptionType.Channel,
              name: 'autorun_channel',
              description: 'A channel where every C# block runs',
              required: false,
              channel_types: [
                ChannelType.GuildText,
                ChannelType.GuildAnnouncement,
                ChannelType.PublicThread,
                ChannelType.PrivateThread,
              ],
            },
            {
              type: ApplicationCommandOptionType.Boolean,
              name: 'autorun',
              description: 'Turn auto-run on or off for that channel',
              required: false,
            },
            {
              type: ApplicationCommandOptionType.Boolean,
              name: 'reactions',
              description: 'Add ▶️ to C# blocks elsewhere and run on click',
              required: false,
            },
            {
              type: ApplicationCommandOptionType.Role,
              name: 'trigger_role',
              description: "A role whose members may ▶️ anyone's code",
              required: false,
            },
            {
              type: ApplicationCommandOptionType.Boolean,
              name: 'trigger',
              description: 'Grant or revoke that role',
              required: false,
            },
            {
              type: ApplicationCommandOptionType.Integer,
              name: 'user_runs_per_minute',
              description: 'Runs one member may start per minute',
              required: false,
              min_value: 1,
              max_value: 1000,
            },
            {
              type: ApplicationCommandOptionType.Integer,
              name: 'guild_runs_per_minute',
              description: 'Runs this server may start per minute',
              required: false,
              min_value: 1,
              max_value: 100000,
            },
          ],
        },
      ],
    },
  ];
}

/**
 * The editor /run opens when given no code. Its id carries the /run options chosen with it (a modal has only text inputs): `sb:modal`, or
 * `sb:modal:` and the options as JSON (at most ~60 characters of Discord's 100).
 */
export function modalId(options: ModalChoices): string {
  return Object.keys(options).length === 0 ? MODAL_ID : `${MODAL_ID}:${JSON.stringify(options)}`;
}

/** The options a modal's id carries; null when it is not the run modal. The runner validates the values. */
export function modalOptions(customId: string): ModalChoices | null {
  if (customId === MODAL_ID) return {};
  if (!customId.startsWith(`${MODAL_ID}:`)) return null;
  try {
    const value: unknown = JSON.parse(customId.slice(MODAL_ID.length + 1));
    if (typeof value !== 'object' || value === null) return null;
    const { optimize, langVersion, view } = value as Record<string, unknown>;
    return {
      ...(typeof optimize === 'string' ? { optimize: optimize as Optimize } : {}),
      ...(typeof langVersion === 'string' ? { langVersion } : {}),
      ...(isViewKind(view) ? { view } : {}),
    };
  } catch {
    return null;
  }
}

/** What a run modal carries: the compile options and the view. */
export type ModalChoices = CompileOptions & { view?: ViewKind };

export function runModal(options: ModalChoices = {}): APIModalInteractionResponseCallbackData {
  return {
    custom_id: modalId(options),
    title: 'Run C#',
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.TextInput,
            custom_id: MODAL_CODE,
            label: 'Code',
            style: TextInputStyle.Paragraph,
            required: true,
            max_length: 4000,
            placeholder: 'Console.WriteLine("Hello, World!");',
          },
        ],
      },
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.TextInput,
            custom_id: MODAL_STDIN,
            label: 'Stdin (optional)',
            style: TextInputStyle.Paragraph,
            required: false,
            max_length: 4000,
          },
        ],
      },
    ],
  };
}
