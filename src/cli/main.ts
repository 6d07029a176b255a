// `sharpbox run FILE.cs | -` — runs one C# program through the configured sandbox and shows it.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import {
  createRunner,
  isOptimize,
  isViewKind,
  LANG_VERSION_SHAPE,
  OPTIMIZE_CHOICES,
  openStore,
  VIEW_KINDS,
  type Store,
  type ViewKind,
} from '../runner/index.js';
import { decodeText, InputError } from './input.js';
import { refusalMessage } from '../refusalText.js';
import { diagnosticLine, queuedLine, statsLine, statusLine } from './render.js';

const USAGE = `usage: sharpbox run <FILE.cs | -> [--stdin FILE] [--timeout MS] [--optimize release|debug] [--lang-version X] [--backend NAME] [--json] [--view il|asm|lowered [--methods PATTERNS]]`;

/** Exit codes: 0 the program ran and exited 0; 1 it did not (compile error, crash, limit…); 2 bad usage or input; 70 internal. */
async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        stdin: { type: 'string' },
        timeout: { type: 'string' },
        optimize: { type: 'string' },
        'lang-version': { type: 'string' },
        backend: { type: 'string' },
        json: { type: 'boolean', default: false },
        // A view instead of a run: the listing goes to stdout (README "Views").
        view: { type: 'string' },
        methods: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return usage(err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, file, ...extra] = positionals;
  if (command !== 'run') return usage(command ? `unknown command '${command}'` : 'no command given');
  if (!file) return usage('no file given (use - to read the code from stdin)');
  if (extra.length > 0) return usage(`unexpected argument '${extra[0]}'`);
  if (values.timeout !== undefined && !/^[1-9]\d*$/.test(values.timeout))
    return usage(`--timeout takes milliseconds, got '${values.timeout}'`);
  if (values.view !== undefined && !isViewKind(values.view))
    return usage(`--view takes one of ${VIEW_KINDS.join(', ')}, got '${values.view}'`);
  if (values.methods !== undefined && values.view !== 'asm') return usage('--methods goes with --view asm');
  const optimize = values.optimize;
  if (optimize !== undefined && !isOptimize(optimize))
    return usage(`--optimize takes ${OPTIMIZE_CHOICES.join(' or ')}, got '${optimize}'`);
  const langVersion = values['lang-version'];
  if (langVersion !== undefined && !LANG_VERSION_SHAPE.test(langVersion))
    return usage(`--lang-version takes a C# language version such as preview or 13, got '${langVersion}'`);

  const env = { ...process.env };
  if (values.backend !== undefined) env.SHARPBOX_BACKEND = values.backend;
  // The CLI's stdout belongs to the program (or to the one JSON document): logs stay quiet.
  env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'error';
  // One run: one slot, and no compiler warm-up (the run's own compile is the first and only one).
  env.SANDBOX_SLOTS = process.env.SANDBOX_SLOTS ?? '1';
  env.COMPILE_WARMUP = process.env.COMPILE_WARMUP ?? 'false';
  env.COMPILE_SERVERS = process.env.COMPILE_SERVERS ?? '1';
  const config = loadConfig(env);
  // The configured limit is the operator's; a run may ask for less, never for more (README).
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && timeoutMs > config.limits.timeoutMs) {
    return usage(
      `--timeout ${timeoutMs} ms is above the limit of ${config.limits.timeoutMs} ms (RUN_TIMEOUT_MS); it may only lower it`,
    );
  }

  const source = decodeText(
    await readInput(file, 'the code', config.limits.sourceBytes + 1),
    file === '-' ? 'the code' : file,
    config.limits.sourceBytes,
    false,
  );
  const stdin =
    values.stdin === undefined
      ? ''
      : decodeText(
          await readInput(values.stdin, 'stdin', config.limits.stdinBytes + 1),
          values.stdin,
          config.limits.stdinBytes,
          true,
        );

  // Azure's budgets are shared through the store (STORE_URL), so a CLI run counts against the same
  // creates as the service's; the local backend needs none, and a CLI user may not reach it.
  const store: Store | null = config.backend === 'aci' ? await openStore(config.fairUse.storeUrl) : null;
  const runner = await createRunner(config, {
    log: createLogger(config.logLevel),
    admissions: store?.admissions,
  }).catch(async (err: unknown) => {
    await store?.close();
    throw err;
  });
  // The runner holds no timer that keeps the process alive (a run held back by the backend's start gate
  // waits on an unref'd one), so the CLI keeps itself alive until its run is done.
  const alive = setInterval(() => undefined, 1 << 30);
  let exit = 1;
  try {
    const submitted = runner.submit({
      source,
      stdin,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(values.view === undefined ? {} : { view: values.view as ViewKind }),
      ...(values.methods === undefined ? {} : { methods: values.methods }),
      ...(optimize === undefined ? {} : { optimize }),
      ...(langVersion === undefined ? {} : { langVersion }),
    });
    if (!submitted.ok) {
      process.stderr.write(`sharpbox: ${refusalMessage(submitted)}\n`);
      return 2;
    }
    const handle = submitted.handle;
    const onSignal = (): void => handle.cancel();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const human = !values.json;
    for await (const event of handle.events()) {
      if (!human) continue;
      switch (event.type) {
        case 'queued':
          process.stderr.write(`${queuedLine(event.position, event.etaMs)}\n`);
          break;
        case 'compiling':
          process.stderr.write('⚙️ compiling…\n');
          break;
        case 'running':
          process.stderr.write('▶️ running…\n');
          break;
        case 'output':
          (event.stream === 'stdout' ? process.stdout : process.stderr).write(event.text);
          break;
        case 'done': {
          const r = event.result;
          for (const d of r.diagnostics) process.stderr.write(`${diagnosticLine(d)}\n`);
          const endsWithNewline = r.stdout.length === 0 || r.stdout.endsWith('\n');
          process.stderr.write(`${endsWithNewline ? '' : '\n'}${statusLine(r)}\n`);
          const stats = statsLine(r);
          if (stats) process.stderr.write(`   ${stats}\n`);
          break;
        }
      }
    }
    const result = await handle.result;
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    exit = result.status === 'ok' ? 0 : result.status === 'internal_error' ? 70 : 1;
  } finally {
    clearInterval(alive);
    await runner.stop(0);
    await store?.close();
  }
  return exit;
}

async function readInput(path: string, what: string, maxBytes: number): Promise<Buffer> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size > maxBytes) break; // enough to say it is too large
    }
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (code ?? 'unreadable');
    throw new InputError(`cannot read ${what} from ${path}: ${why}`);
  }
}

function usage(problem: string): number {
  process.stderr.write(`sharpbox: ${problem}\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof InputError || err instanceof ConfigError) {
      process.stderr.write(`sharpbox: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`sharpbox: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 70;
    }
  },
);
