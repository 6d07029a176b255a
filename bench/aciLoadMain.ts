// `npm run bench:aci`: only the aci load of the bench (section m), about four minutes.
import { reportAciLoad } from './aciLoad.js';

reportAciLoad((label, value) => console.log(`${label.padEnd(72)} ${value}`)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
