// The application commands: /run and the "Run C#" message context menu. Registered at start-up,
// globally or (for development) to one guild.

export const RUN_COMMAND = 'run';
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
