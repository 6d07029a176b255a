// The application commands: /run and the "Run C#" message context menu. Registered at start-up,
// globally or (for development) to one guild.

export const RUN_COMMAND = 'run';
export const SETTINGS_COMMAND = 'sharpbox';
/** Manage Server: Discord hides the command from everyone else, and the bot checks again. */
export const MANAGE_GUILD = 1 << 5;
export const RUN_MESSAGE_COMMAND = 'Run C#';
export const MODAL_ID = 'sb:modal';
export const MODAL_CODE = 'code';
export const MODAL_STDIN = 'stdin';

/** Guild (0), bot DM (1) and private channels (2); guild install (0) and user install (1). */
const everywhere = { contexts: [0, 1, 2], integration_types: [0, 1] };

export function commandDefinitions(sourceLimit: number): Record<string, unknown>[] {
  return [
    {
      name: RUN_COMMAND,
      type: 1,
      description: 'Run C# in the sharpbox sandbox',
      options: [
        { type: 3, name: 'code', description: 'C# code: top-level statements or a class with Main (leave empty for a multi-line editor)', required: false, max_length: 6000 },
        { type: 3, name: 'stdin', description: 'Text the program reads from standard input', required: false, max_length: 6000 },
        { type: 11, name: 'file', description: `A .cs file (up to ${Math.floor(sourceLimit / 1024)} KiB)`, required: false },
      ],
      ...everywhere,
    },
    { name: RUN_MESSAGE_COMMAND, type: 3, ...everywhere },
    {
      name: SETTINGS_COMMAND,
      type: 1,
      description: 'sharpbox settings for this server',
      default_member_permissions: String(MANAGE_GUILD),
      contexts: [0],
      integration_types: [0],
      options: [
        {
          type: 1,
          name: 'settings',
          description: 'Show or change the settings (no options: show them)',
          options: [
            { type: 7, name: 'autorun_channel', description: 'A channel where every C# block runs', required: false, channel_types: [0, 5, 11, 12] },
            { type: 5, name: 'autorun', description: 'Turn auto-run on or off for that channel', required: false },
            { type: 5, name: 'reactions', description: 'Add ▶️ to C# blocks elsewhere and run on click', required: false },
            { type: 8, name: 'trigger_role', description: 'A role whose members may ▶️ anyone\'s code', required: false },
            { type: 5, name: 'trigger', description: 'Grant or revoke that role', required: false },
            { type: 4, name: 'user_runs_per_minute', description: 'Runs one member may start per minute', required: false, min_value: 1, max_value: 1000 },
            { type: 4, name: 'guild_runs_per_minute', description: 'Runs this server may start per minute', required: false, min_value: 1, max_value: 100000 },
          ],
        },
      ],
    },
  ];
}

/** The editor /run opens when given no code. */
export function runModal(): Record<string, unknown> {
  return {
    custom_id: MODAL_ID,
    title: 'Run C#',
    components: [
      { type: 1, components: [{ type: 4, custom_id: MODAL_CODE, label: 'Code', style: 2, required: true, max_length: 4000, placeholder: 'Console.WriteLine("Hello, World!");' }] },
      { type: 1, components: [{ type: 4, custom_id: MODAL_STDIN, label: 'Stdin (optional)', style: 2, required: false, max_length: 4000 }] },
    ],
  };
}
