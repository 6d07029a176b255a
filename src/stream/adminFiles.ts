// The dashboard's static files: its page and stylesheet, its compiled ES modules (admin/*.js beside this
// file in dist/), and the two libraries it uses (uPlot, Prism) read from node_modules, so the page loads
// nothing from elsewhere and the CSP can stay strict. The table is built once, from names on disk: a
// request path is only ever a key into it, never joined into a file path.
import { readdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  file: string;
  type: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

export const STATIC_HEADERS = {
  // The dashboard shows untrusted code and output: no inline script, nothing from elsewhere. uPlot sizes
  // its elements through the CSSOM (element.style), which style-src 'self' allows; inline style
  // attributes in markup would not be, and the page has none.
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
} as const;

/** A module's name as tsc emits it (charts.js, app.js): no dots, slashes or anything else to resolve. */
const MODULE_NAME = /^[a-z][A-Za-z0-9]*\.js$/;

/** Path → file, for every file the dashboard may load. */
export function adminFiles(): Map<string, StaticFile> {
  const here = dirname(fileURLToPath(import.meta.url));
  const admin = join(here, 'admin');
  // Resolved the way Node resolves the packages, so it works from dist/ and from the Docker image's
  // pruned node_modules alike (both are runtime dependencies).
  const require = createRequire(import.meta.url);
  const page = { file: join(admin, 'index.html'), type: 'text/html; charset=utf-8' };
  const files = new Map<string, StaticFile>([
    ['/admin', page],
    ['/admin/', page],
    ['/admin/style.css', { file: join(admin, 'style.css'), type: CSS }],
    ['/admin/vendor/uplot.js', { file: require.resolve('uplot/dist/uPlot.esm.js'), type: JS }],
    ['/admin/vendor/uplot.css', { file: require.resolve('uplot/dist/uPlot.min.css'), type: CSS }],
  ]);
  // Prism's core and grammars are classic scripts that set the global Prism, loaded in this order.
  for (const name of ['prism-core', 'prism-clike', 'prism-csharp'])
    files.set(`/admin/vendor/${name}.js`, { file: require.resolve(`prismjs/components/${name}.js`), type: JS });
  // The dashboard's modules import each other ('./charts.js'); protocol.ts is imported for types only, so
  // the browser never asks for it.
  for (const name of readdirSync(admin)) {
    if (MODULE_NAME.test(name)) files.set(`/admin/${name}`, { file: join(admin, name), type: JS });
  }
  return files;
}

/** Serves a GET for one of the dashboard's files; false when the path is not one. */
export async function serveAdminFile(
  files: Map<string, StaticFile>,
  method: string,
  path: string,
  res: ServerResponse,
): Promise<boolean> {
  const asset = method === 'GET' ? files.get(path) : undefined;
  if (!asset) return false;
  const body = await readFile(asset.file);
  res.writeHead(200, { 'Content-Type': asset.type, ...STATIC_HEADERS });
  res.end(body);
  return true;
}
