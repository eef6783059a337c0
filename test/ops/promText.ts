// A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line is empty,
// a # HELP, a # TYPE or a sample of a family whose TYPE came first; names, label sets and values
// must be well formed; a histogram's buckets are cumulative and end at +Inf = _count.
import assert from 'node:assert/strict';
import http from 'node:http';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** Samples of `name` whose labels include `match`. */
  find(name: string, match?: Record<string, string>): Sample[];
  /** The sum of those samples' values. */
  sum(name: string, match?: Record<string, string>): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count', ''], counter: [''], gauge: [''], untyped: [''] };

export function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') continue; // the format ignores empty lines (prom-client ends each family with one)
    if (line.startsWith('# HELP ')) {
      assert.match(line.slice(7).split(' ')[0], NAME, where);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, ...rest] = line.slice(7).split(' ');
      assert.match(name, NAME, where);
      assert.ok(type in SUFFIXES && rest.length === 0, where);
      assert.ok(!types.has(name), `${where}: a second TYPE for ${name}`);
      types.set(name, type);
      continue;
    }
    assert.ok(!line.startsWith('#'), `${where}: neither a comment nor a sample`);
    const sample = parseSample(line, where);
    const family = [...types.entries()].find(([n, t]) => SUFFIXES[t].some((s) => sample.name === n + s));
    assert.ok(family, `${where}: no TYPE before the sample`);
    samples.push(sample);
  }
  const find = (name: string, match: Record<string, string> = {}) => samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  const exposition = { types, samples, find, sum: (name: string, match?: Record<string, string>) => find(name, match).reduce((a, s) => a + s.value, 0) };
  for (const [name, type] of types) if (type === 'histogram') checkHistogram(exposition, name);
  return exposition;
}

function parseSample(line: string, where: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  assert.ok(m, `${where}: not a sample`);
  const labels: Record<string, string> = {};
  let rest = m[3] ?? '';
  while (rest !== '') {
    const l = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    assert.ok(l, `${where}: malformed labels at ${JSON.stringify(rest)}`);
    assert.match(l[1], LABEL, where);
    assert.ok(!(l[1] in labels), `${where}: label ${l[1]} twice`);
    labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(l[0].length);
  }
  const raw = m[4];
  // Prometheus reads values with Go's ParseFloat, which takes NaN in any case: prom-client writes "Nan".
  assert.match(raw, /^([Nn][Aa][Nn]|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/, `${where}: value`);
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : /^nan$/i.test(raw) ? NaN : Number(raw);
  return { name: m[1], labels, value };
}

/** Each label set of the histogram: buckets cumulative, ending at le="+Inf" equal to _count, with a _sum. */
function checkHistogram(e: Exposition, name: string): void {
  const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort());
  const sets = new Map<string, Sample[]>();
  for (const s of e.find(`${name}_bucket`)) sets.set(key(s.labels), [...(sets.get(key(s.labels)) ?? []), s]);
  for (const [k, buckets] of sets) {
    let last = 0;
    let bound = -Infinity;
    for (const b of buckets) {
      const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
      assert.ok(le > bound && b.value >= last, `${name} ${k}: buckets ascend and are cumulative`);
      bound = le;
      last = b.value;
    }
    assert.equal(bound, Infinity, `${name} ${k}: the last bucket is +Inf`);
    const count = e.samples.find((s) => s.name === `${name}_count` && key(s.labels) === k);
    const sum = e.samples.find((s) => s.name === `${name}_sum` && key(s.labels) === k);
    assert.ok(count && sum, `${name} ${k}: _count and _sum`);
    assert.equal(count.value, last, `${name} ${k}: +Inf equals _count`);
  }
}

/** GET on the admin listener. */
export function adminGet(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`deadline: admin ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

export async function scrape(port: number | undefined): Promise<Exposition> {
  assert.ok(port, 'the admin listener is on');
  const r = await adminGet(port, '/metrics');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parseExposition(r.body);
}
