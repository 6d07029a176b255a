// `npm run bench:fleet`: only the fleet's event delay (section q), about two minutes (BENCH_FLEET_SECONDS
// shortens the 30 s load, only to try it out).
import { reportFleet } from './fleet.js';

reportFleet((label, value) => console.log(`${label.padEnd(72)} ${value}`)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
