// The web pages' own files (issue 17): Chart.js from the package and our small CSS and JS, read
// once at start and served from this origin only (the CSP allows nothing else; the machines that
// run gatehouse may have no internet). The browser files live in src/web/static/ as they are
// (tsc copies only .ts), read relative to the package root, so `dist/` in a fresh clone finds them.
// Each is fingerprinted: pages link `/assets/NAME?v=HASH`, cached for a year and revalidated by ETag.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { send } from './respond.js';
import type { WebRoute } from './types.js';

const STATIC_DIR = fileURLToPath(new URL('../../../src/web/static/', import.meta.url));
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  version: string;
}

/** Chart.js's UMD build without its source-map comment (we serve no map: nothing to ask for). */
function chartJs(): Buffer {
  // The package exports only its module entry points; the UMD build sits beside them in dist/.
  const file = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
  return Buffer.from(fs.readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
}

function load(): Map<string, Asset> {
  const files: [string, Buffer][] = [['chart.js', chartJs()]];
  for (const name of fs.readdirSync(STATIC_DIR).sort()) {
    if (TYPES[path.extname(name)]) files.push([name, fs.readFileSync(path.join(STATIC_DIR, name))]);
  }
  return new Map(
    files.map(([name, body]) => {
      const version = createHash('sha256').update(body).digest('hex').slice(0, 16);
      return [name, { body, type: TYPES[path.extname(name)], etag: `"${version}"`, version }];
    }),
  );
}

const ASSETS = load();

/** `/assets/NAME?v=HASH`: the address a page links, changing whenever the file does. */
export function assetUrl(name: string): string {
  const asset = ASSETS.get(name);
  if (!asset) throw new Error(`no asset ${name}`);
  return `/assets/${name}?v=${asset.version}`;
}

export function assetNames(): string[] {
  return [...ASSETS.keys()];
}

function route(name: string, asset: Asset): WebRoute {
  return {
    method: 'GET',
    path: `/assets/${name}`,
    auth: 'public',
    async handle(ctx) {
      const headers = { etag: asset.etag, 'cache-control': 'public, max-age=31536000, immutable' };
      const fresh = ctx.req.headers['if-none-match'] === asset.etag;
      send(ctx.res, fresh ? 304 : 200, asset.type, fresh ? '' : asset.body, headers);
    },
  };
}

/** One route per file (the route table matches exact paths), and /favicon.ico, which browsers ask for unasked. */
export const assetRoutes: WebRoute[] = [...[...ASSETS].map(([name, asset]) => route(name, asset)), { ...route('favicon.svg', ASSETS.get('favicon.svg')!), path: '/favicon.ico' }];
