// A second process for the "two processes sharing Redis" test: tries `count` admissions for one user at
// once and prints how many were admitted.
import { loadConfig } from '../../src/config.js';
import { FairRunner } from '../../src/runner/limits.js';
import { openStore } from '../../src/runner/store.js';
import { heldRunner } from './heldRunner.js';

const [url, user, count] = process.argv.slice(2);
const config = loadConfig({ STORE_URL: url, USER_RUNS_PER_MINUTE: '25', USER_CONCURRENT_RUNS: '1000' });
const store = await openStore(config.fairUse.storeUrl);
const fair = new FairRunner(heldRunner(), store.admissions, config.fairUse);
// Start together with the parent: wait for its go on stdin.
process.stdin.once('data', async () => {
  const results = await Promise.all(
    Array.from({ length: Number(count) }, () => fair.submit({ source: 'x' }, { user: user as string, guild: null })),
  );
  process.stdout.write(`${results.filter((r) => r.ok).length}\n`);
  await store.close();
  process.exit(0);
});
process.stdout.write('ready\n');
