#!/usr/bin/env node
// The `sharpbox` command. The TypeScript build lives in dist/; README's first command builds it.
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('sharpbox: not built yet; run `npm run setup` (or `npm run build`) first');
    process.exit(70);
  }
  throw err;
});
