// What Discord refuses, and how it says so: the error bodies and the limits on a message, each with
// the page of discord/discord-api-docs it follows (paths under developers/; the table in
// shared/research/service-limits.md lists the same). Pure: the fake in discord.ts applies them.

/** A refusal as Discord sends it: an HTTP status and `{"code", "message", "errors"?}`. */
export interface DiscordError {
  status: number;
  body: { code: number; message: string; errors?: FormErrors };
}

/** 50035's `errors`: the offending field's path as nested keys, ending in `_errors`. */
export interface FormErrors {
  [key: string]: FormErrors | FieldError[];
}

export interface FieldError {
  code: string;
  message: string;
}

const error = (status: number, code: number, message: string): DiscordError => ({ status, body: { code, message } });

/** JSON error codes, topics/opcodes-and-status-codes.mdx ("JSON Error Codes"), with the messages the API sends. */
export const ERRORS = {
  unknownChannel: error(404, 10003, 'Unknown Channel'),
  unknownMessage: error(404, 10008, 'Unknown Message'),
  unknownWebhook: error(404, 10015, 'Unknown Webhook'),
  unknownInteraction: error(404, 10062, 'Unknown interaction'),
  /** Per file over the upload limit; 413 is the HTTP status for it. */
  requestEntityTooLarge: error(413, 40005, 'Request entity too large'),
  alreadyAcknowledged: error(400, 40060, 'Interaction has already been acknowledged'),
  missingAccess: error(403, 50001, 'Missing Access'),
  dmAction: error(403, 50003, 'Cannot execute action on a DM channel'),
  otherAuthor: error(403, 50005, 'Cannot edit a message authored by another user'),
  emptyMessage: error(400, 50006, 'Cannot send an empty message'),
  missingPermissions: error(403, 50013, 'Missing Permissions'),
  /** topics/opcodes-and-status-codes.mdx lists 50027; 401 is its HTTP status (interactions/receiving-and-responding.mdx: tokens last 15 minutes). */
  invalidWebhookToken: error(401, 50027, 'Invalid Webhook Token'),
} as const;

/** 50035 "Invalid Form Body" with every problem found (reference.mdx "Error Messages" shows the shape). */
export function invalidFormBody(problems: Problem[]): DiscordError {
  const errors: FormErrors = {};
  for (const { path, code, message } of problems) {
    let node = errors;
    for (const key of path) node = (node[String(key)] ??= {}) as FormErrors;
    ((node._errors ??= []) as FieldError[]).push({ code, message });
  }
  return { status: 400, body: { code: 50035, message: 'Invalid Form Body', errors } };
}

export interface Problem {
  path: (string | number)[];
  code: string;
  message: string;
}

/** Discord's limits, each from the page named. */
export const LIMITS = {
  /** resources/message.mdx, Create Message: content "up to 2000 characters". */
  content: 2000,
  /** resources/message.mdx: "Up to 10 rich embeds (up to 6000 characters)", and Embed Limits for each field. */
  embeds: 10,
  embedTotal: 6000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  embedFooter: 2048,
  embedAuthor: 256,
  /** reference.mdx, Uploading Files: "The default limit is 10 MiB", per file. */
  fileBytes: 10 * 1024 * 1024,
  /** resources/message.mdx, Create Message: files[n] and attachments, up to 10. */
  files: 10,
  /** components/reference.mdx: "Legacy messages allow up to 5 action rows", an action row "Up to 5 interactive button components". */
  actionRows: 5,
  buttonsPerRow: 5,
  /** components/reference.mdx: custom_id "1-100 characters"; a button's label "max 80 characters". */
  customId: 100,
  buttonLabel: 80,
  /** components/reference.mdx, Text Input: max_length "maximum input length for a text input; min 1, max 4000". */
  textInput: 4000,
  /** interactions/receiving-and-responding.mdx, Modal: title "max 45 characters". */
  modalTitle: 45,
  /** interactions/receiving-and-responding.mdx: "you must send an initial response within 3 seconds". */
  initialResponseMs: 3_000,
  /** interactions/receiving-and-responding.mdx: "Interaction tokens are valid for 15 minutes". */
  interactionTokenMs: 15 * 60_000,
} as const;

/**
 * Characters as Discord counts them: code points, since its API is Python 3 (discord/discord-api-docs
 * issue #1315, answered by Discord staff). An emoji is one character here and two UTF-16 code units in
 * JavaScript's .length.
 */
export function characters(text: string): number {
  let n = text.length;
  for (let i = 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const before = text.charCodeAt(i - 1);
    if (code >= 0xdc00 && code <= 0xdfff && before >= 0xd800 && before <= 0xdbff) n--;
  }
  return n;
}

const maxLength = (path: Problem['path'], max: number): Problem => ({
  path,
  code: 'BASE_TYPE_MAX_LENGTH',
  message: `Must be ${max} or fewer in length.`,
});
const badLength = (path: Problem['path'], min: number, max: number): Problem => ({
  path,
  code: 'BASE_TYPE_BAD_LENGTH',
  message: `Must be between ${min} and ${max} in length.`,
});
const required = (path: Problem['path']): Problem => ({
  path,
  code: 'BASE_TYPE_REQUIRED',
  message: 'This field is required',
});

type Body = Record<string, unknown>;
const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Files over the per-file limit: Discord answers 413 before it reads the form. */
export function checkFiles(files: { name: string; data: Buffer }[]): DiscordError | null {
  return files.some((f) => f.data.length > LIMITS.fileBytes) ? ERRORS.requestEntityTooLarge : null;
}

/**
 * The problems in a message body (create, edit, follow-up, or an interaction response's `data`), each
 * with its path under `prefix` (an interaction response's are under "data").
 */
export function messageProblems(body: Body | null, files: { name: string }[], prefix: Problem['path'] = []): Problem[] {
  const problems: Problem[] = [];
  const at = (...path: Problem['path']) => [...prefix, ...path];
  if (!body) return problems;
  if (typeof body.content === 'string' && characters(body.content) > LIMITS.content)
    problems.push(maxLength(at('content'), LIMITS.content));
  if (Array.isArray(body.embeds)) problems.push(...embedProblems(body.embeds, at));
  const attachments = Array.isArray(body.attachments) ? body.attachments.length : 0;
  if (Math.max(files.length, attachments) > LIMITS.files) problems.push(maxLength(at('attachments'), LIMITS.files));
  if (Array.isArray(body.components)) problems.push(...componentProblems(body.components, at));
  return problems;
}

function embedProblems(embeds: unknown[], at: (...path: Problem['path']) => Problem['path']): Problem[] {
  const problems: Problem[] = [];
  if (embeds.length > LIMITS.embeds) problems.push(maxLength(at('embeds'), LIMITS.embeds));
  // "Leading and trailing whitespace characters are not included (they are trimmed automatically)."
  const len = (v: unknown): number => characters(str(v).trim());
  let total = 0;
  embeds.forEach((raw, i) => {
    const e = isObject(raw) ? raw : {};
    const field = (value: unknown, max: number, path: Problem['path']) => {
      total += len(value);
      if (len(value) > max) problems.push(maxLength(at('embeds', i, ...path), max));
    };
    field(e.title, LIMITS.embedTitle, ['title']);
    field(e.description, LIMITS.embedDescription, ['description']);
    field(isObject(e.footer) ? e.footer.text : undefined, LIMITS.embedFooter, ['footer', 'text']);
    field(isObject(e.author) ? e.author.name : undefined, LIMITS.embedAuthor, ['author', 'name']);
    const fields = Array.isArray(e.fields) ? e.fields : [];
    if (fields.length > LIMITS.embedFields) problems.push(maxLength(at('embeds', i, 'fields'), LIMITS.embedFields));
    fields.forEach((f, j) => {
      const o = isObject(f) ? f : {};
      field(o.name, LIMITS.embedFieldName, ['fields', j, 'name']);
      field(o.value, LIMITS.embedFieldValue, ['fields', j, 'value']);
    });
  });
  if (total > LIMITS.embedTotal)
    problems.push({
      path: at('embeds'),
      code: 'MAX_EMBED_SIZE_EXCEEDED',
      message: `Embed size exceeds maximum size of ${LIMITS.embedTotal}`,
    });
  return problems;
}

function componentProblems(rows: unknown[], at: (...path: Problem['path']) => Problem['path']): Problem[] {
  const problems: Problem[] = [];
  if (rows.length > LIMITS.actionRows) problems.push(maxLength(at('components'), LIMITS.actionRows));
  const seen = new Set<string>();
  rows.forEach((raw, i) => {
    const row = isObject(raw) ? raw : {};
    const children = Array.isArray(row.components) ? row.components : [];
    if (children.length < 1 || children.length > LIMITS.buttonsPerRow)
      problems.push(badLength(at('components', i, 'components'), 1, LIMITS.buttonsPerRow));
    children.forEach((c, j) => {
      const child = isObject(c) ? c : {};
      const path = (...p: Problem['path']) => at('components', i, 'components', j, ...p);
      // Link (5) and premium (6) buttons carry no custom_id; every other interactive component must.
      const needsId = !(child.type === 2 && (child.style === 5 || child.style === 6));
      if (needsId) {
        if (typeof child.custom_id !== 'string') problems.push(required(path('custom_id')));
        else if (characters(child.custom_id) < 1 || characters(child.custom_id) > LIMITS.customId)
          problems.push(badLength(path('custom_id'), 1, LIMITS.customId));
        else if (seen.has(child.custom_id))
          problems.push({
            path: path('custom_id'),
            code: 'COMPONENT_CUSTOM_ID_DUPLICATED',
            message: 'Component custom id cannot be duplicated',
          });
        else seen.add(child.custom_id);
      }
      if (child.type === 2 && characters(str(child.label)) > LIMITS.buttonLabel)
        problems.push(maxLength(path('label'), LIMITS.buttonLabel));
    });
  });
  return problems;
}

/** The problems in a modal (interaction response type 9's `data`). */
export function modalProblems(data: Body | null): Problem[] {
  const problems: Problem[] = [];
  const d = data ?? {};
  const customId = str(d.custom_id);
  if (characters(customId) < 1 || characters(customId) > LIMITS.customId)
    problems.push(badLength(['data', 'custom_id'], 1, LIMITS.customId));
  const title = str(d.title);
  if (characters(title) < 1 || characters(title) > LIMITS.modalTitle)
    problems.push(badLength(['data', 'title'], 1, LIMITS.modalTitle));
  const rows = Array.isArray(d.components) ? d.components : [];
  if (rows.length < 1 || rows.length > LIMITS.actionRows)
    problems.push(badLength(['data', 'components'], 1, LIMITS.actionRows));
  rows.forEach((raw, i) => {
    // An action row (1) holding a text input, or the newer label (18) holding one component.
    const row = isObject(raw) ? raw : {};
    const inputs = Array.isArray(row.components) ? row.components : isObject(row.component) ? [row.component] : [];
    inputs.forEach((c, j) => {
      const input = isObject(c) ? c : {};
      const path = (...p: Problem['path']) => ['data', 'components', i, 'components', j, ...p];
      const id = str(input.custom_id);
      if (characters(id) < 1 || characters(id) > LIMITS.customId)
        problems.push(badLength(path('custom_id'), 1, LIMITS.customId));
      if (typeof input.max_length === 'number' && (input.max_length < 1 || input.max_length > LIMITS.textInput))
        problems.push({
          path: path('max_length'),
          code: 'NUMBER_TYPE_MAX',
          message: `int value should be less than or equal to ${LIMITS.textInput}.`,
        });
    });
  });
  return problems;
}

/** A message with nothing in it (50006); for an edit, the message as it would be after the edit. */
export function isEmptyMessage(
  message: {
    content?: unknown;
    embeds?: unknown;
    attachments?: unknown;
    components?: unknown;
    sticker_ids?: unknown;
    poll?: unknown;
  },
  files: number,
): boolean {
  const nonEmpty = (v: unknown) => Array.isArray(v) && v.length > 0;
  return (
    str(message.content).length === 0 &&
    files === 0 &&
    !nonEmpty(message.embeds) &&
    !nonEmpty(message.attachments) &&
    !nonEmpty(message.components) &&
    !nonEmpty(message.sticker_ids) &&
    !message.poll
  );
}

/**
 * interactions/application-commands.mdx ("Registering a Command" and "Application Command Object"):
 * an app has at most 100 chat-input commands and 5 each of user and message commands; names are 1-32
 * characters, descriptions 1-100 (none for user and message commands), at most 25 options, each with at
 * most 25 choices whose names and string values are 1-100 characters.
 */
export const COMMAND_LIMITS = {
  chatInput: 100,
  user: 5,
  message: 5,
  name: 32,
  description: 100,
  options: 25,
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
} as const;

interface CommandBody {
  name?: unknown;
  type?: unknown;
  description?: unknown;
  options?: { name?: unknown; description?: unknown; choices?: { name?: unknown; value?: unknown }[] }[];
}

/** What Discord would refuse in a bulk overwrite of the app's commands (PUT …/commands). */
export function commandProblems(list: CommandBody[]): Problem[] {
  const problems: Problem[] = [];
  const count = (type: number) => list.filter((c) => (c.type ?? 1) === type).length;
  const over = (what: string, n: number, max: number) => {
    if (n > max) problems.push({ path: [], code: 'BASE_TYPE_MAX_LENGTH', message: `${what}: ${n} > ${max}` });
  };
  over('chat input commands', count(1), COMMAND_LIMITS.chatInput);
  over('user commands', count(2), COMMAND_LIMITS.user);
  over('message commands', count(3), COMMAND_LIMITS.message);
  const text = (path: Problem['path'], value: unknown, max: number) => {
    if (typeof value !== 'string' || value.length < 1 || value.length > max)
      problems.push({ path, code: 'BASE_TYPE_BAD_LENGTH', message: `Must be between 1 and ${max} in length.` });
  };
  list.forEach((c, i) => {
    text([i, 'name'], c.name, COMMAND_LIMITS.name);
    if ((c.type ?? 1) === 1) text([i, 'description'], c.description, COMMAND_LIMITS.description);
    const options = c.options ?? [];
    if (options.length > COMMAND_LIMITS.options)
      problems.push({ path: [i, 'options'], code: 'BASE_TYPE_MAX_LENGTH', message: 'Too many options.' });
    options.forEach((o, j) => {
      text([i, 'options', j, 'name'], o.name, COMMAND_LIMITS.name);
      text([i, 'options', j, 'description'], o.description, COMMAND_LIMITS.description);
      const choices = o.choices ?? [];
      if (choices.length > COMMAND_LIMITS.choices)
        problems.push({
          path: [i, 'options', j, 'choices'],
          code: 'BASE_TYPE_MAX_LENGTH',
          message: 'Too many choices.',
        });
      choices.forEach((ch, k) => {
        text([i, 'options', j, 'choices', k, 'name'], ch.name, COMMAND_LIMITS.choiceName);
        if (typeof ch.value === 'string')
          text([i, 'options', j, 'choices', k, 'value'], ch.value, COMMAND_LIMITS.choiceValue);
      });
    });
  });
  return problems;
}
