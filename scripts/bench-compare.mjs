// Compares two builds of sharpbox on this machine, one after the other under the same conditions:
//   node scripts/bench-compare.mjs /path/to/old-tree && node scripts/bench-compare.mjs /path/to/new-tree
// Each tree must be built (npm run build, container/bin/host). Prints Hello World round trips through
// the runner API (spaced: each finds its slot's sandbox ready; back to back from one client) and the
// throughput of 100 runs submitted at once. Alternate the trees a few times: one run is noisy.
const tree = process.argv[2];
const { loadConfig } = await import(`${tree}/dist/src/config.js`);
const { createLogger } = await import(`${tree}/dist/src/log.js`);
const { createRunner } = await import(`${tree}/dist/src/runner/index.js`);
const config = loadConfig({
  ...process.env,
  LOG_LEVEL: 'error',
  SANDBOX_QUEUE_MAX: '1000',
  SANDBOX_HOST_DIR: `${tree}/container/bin/host`,
  SANDBOX_ETC_DIR: `${tree}/container/sandbox-etc`,
});
const runner = await createRunner(config, { log: createLogger('error') });
const HELLO = 'Console.WriteLine("Hello, World!");';
const once = async (src) => {
  const t = performance.now();
  const s = runner.submit({ source: src });
  const r = await s.handle.result;
  if (r.status !== 'ok') throw new Error(JSON.stringify(r));
  return performance.now() - t;
};
const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
for (let i = 0; i < 5; i++) await once(HELLO);
const trips = [];
for (let i = 0; i < 40; i++) {
  await runner.backend.idle();
  trips.push(await once(`${HELLO} // ${i}`));
}
const b2b = [];
for (let i = 0; i < 40; i++) b2b.push(await once(`${HELLO} // b ${i}`));
await runner.backend.idle();
const t0 = performance.now();
await Promise.all(Array.from({ length: 100 }, (_, i) => once(`${HELLO} // t ${i}`)));
const rate = 100 / ((performance.now() - t0) / 1000);
console.log(
  `${tree}: round trip spaced p50 ${pct(trips, 50).toFixed(1)} ms p95 ${pct(trips, 95).toFixed(1)} · back-to-back p50 ${pct(b2b, 50).toFixed(1)} ms · throughput ${rate.toFixed(1)} runs/s`,
);
await runner.stop(0);
