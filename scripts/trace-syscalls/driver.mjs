// Runs C# files one after another through one real local runner (one exec slot, the compile server warmed
// as in production), so that trace-syscalls.sh can strace the whole process tree once. Needs `npm run build`.
// usage: node driver.mjs FILE.cs...   (stdin of every run: two short lines)
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadConfig } from '../../dist/src/config.js';
import { createLogger } from '../../dist/src/log.js';
import { createRunner } from '../../dist/src/runner/index.js';

const config = loadConfig({ ...process.env, LOG_LEVEL: 'error', SANDBOX_SLOTS: '1' });
const runner = await createRunner(config, { log: createLogger('error') });
try {
  for (const file of process.argv.slice(2)) {
    const submitted = runner.submit({ source: await readFile(file, 'utf8'), stdin: 'first line\nsecond line\n' });
    if (!submitted.ok) throw new Error(`${file}: refused: ${submitted.message}`);
    const r = await submitted.handle.result;
    const tail = (s) => s.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
    const diags = r.diagnostics.map((d) => `${d.id} ${d.message}`).join(' / ');
    console.log(
      `${basename(file)}: ${r.status}${diags ? ` [${diags}]` : ''} (${r.reason}) stdout: ${tail(r.stdout)} stderr: ${tail(r.stderr)}`,
    );
  }
} finally {
  await runner.stop(0);
}
