// Plain HTTP to the web listener for the page tests (issue 17): GET/HEAD/POST with an optional
// session cookie, and readers for the pages' stable hooks (table#ID > tr[data-key] > td[data-col]).
import assert from 'node:assert/strict';
import http from 'node:http';
import { formatUsd } from '../../src/core/pricing.js';

export interface Page {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

export function get(port: number, path: string, options: { cookie?: string; method?: string; headers?: Record<string, string> } = {}): Promise<Page> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { ...(options.cookie ? { cookie: options.cookie } : {}), ...options.headers }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8'), ms: performance.now() - started });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`web deadline: ${path.slice(0, 80)}`)), 10_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
export const unesc = (text: string) => text.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]);
const text = (htmlText: string) => unesc(htmlText.replace(/<[^>]*>/g, '')).replace(/\s+/g, ' ').trim();

export interface Row {
  key: string;
  cells: Record<string, string>;
}

/** table#ID's body rows: data-key and each data-col cell's text; undefined when there is no such table. */
export function tableRows(page: string, id: string): Row[] | undefined {
  const start = page.indexOf(`<table id="${id}">`);
  if (start < 0) return undefined;
  const body = page.slice(start, page.indexOf('</table>', start));
  return [...body.matchAll(/<tr[^>]* data-key="([^"]*)"[^>]*>([\s\S]*?)<\/tr>/g)].map(([, key, row]) => ({
    key: unesc(key),
    cells: Object.fromEntries([...row.matchAll(/<td data-col="([^"]*)"[^>]*>([\s\S]*?)<\/td>/g)].map(([, col, cell]) => [unesc(col), text(cell)])),
  }));
}

/** Every src=, href= and action= value of a page. */
export function links(page: string): string[] {
  return [...page.matchAll(/\s(?:src|href|action)="([^"]*)"/g)].map(([, v]) => unesc(v));
}

/** The JSON of a <script type="application/json" id=ID> block. */
export function jsonBlock(page: string, id: string): any {
  const m = page.match(new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`));
  return m ? JSON.parse(m[1]) : undefined;
}

const TOKENS = ['requests', 'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens'] as const;

/** The page's table for report.group holds exactly the report's rows in order, then the total. */
export function assertTable(rows: Row[] | undefined, report: any): void {
  assert.ok(rows, `a table for ${report.group}`);
  const expected = [...report.rows.map((r: any) => ({ key: String(r[report.group]), r })), { key: 'total', r: report.total }];
  assert.deepEqual(rows.map((r) => r.key), expected.map((e) => e.key), `usage by ${report.group}: rows`);
  for (const [i, { key, r }] of expected.entries()) {
    for (const col of TOKENS) assert.equal(Number(rows[i].cells[col]), r[col], `${report.group} ${key} ${col}`);
    assert.equal(rows[i].cells.cost, formatUsd(r.cost_micros), `${report.group} ${key} cost`);
  }
}

