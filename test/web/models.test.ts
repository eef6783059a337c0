// Issue 17: the public /models page and /models.json against `integrations catalog --json`, the
// assets (ours and Chart.js), security headers, HEAD, and no resource from another origin.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';
import { okJson } from '../metering/helpers.js';
import { CSP } from '../../src/web/respond.js';
import { get, links, tableRows } from './http.js';

const price = (usd: number) => (usd === 0 ? '-' : `$${usd}`);

describe('web: /models and the assets (issue 17)', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  let catalog: any[];
  const page = (p: string, o?: Parameters<typeof get>[2]) => get(gh.webPort!, p, o);

  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_DOMAIN: 'example.test' });
    alice = await signUp(gh.sshPort, 'alice');
    catalog = await okJson(gh.sshPort, alice, 'integrations catalog');
  });
  after(() => gh?.stop());

  it('lists every model of `integrations catalog --json`: provider, name, context, max output, four prices', async () => {
    const r = await page('/models');
    assert.equal(r.status, 200);
    const rows = tableRows(r.body, 'models')!;
    assert.deepEqual(rows.map((row) => row.key), catalog.map((m) => m.id));
    for (const [i, m] of catalog.entries()) {
      assert.deepEqual(rows[i].cells, {
        id: `${m.id} Copy`,
        provider: m.provider,
        display_name: m.display_name,
        context_window: String(m.context_window),
        max_output_tokens: String(m.max_output_tokens),
        input: price(m.price.input),
        output: price(m.price.output),
        cache_read: price(m.price.cache_read),
        cache_write: price(m.price.cache_write),
      });
      assert.ok(r.body.includes(`data-copy="${m.id}"`), `a copy button for ${m.id}`);
    }
    assert.match(r.body, /<input id="model-filter" type="search"/);
  });

  it('/models.json: {"models"} exactly as `integrations catalog --json`', async () => {
    const r = await page('/models.json');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(r.body), { models: catalog });
  });

  it("setup snippets for Claude Code, Codex, the SDKs and curl name this gatehouse's hostnames", async () => {
    const { body } = await page('/models');
    for (const id of ['claude-code', 'codex', 'openai', 'anthropic', 'genai', 'curl']) assert.match(body, new RegExp(`<pre id="setup-${id}">`));
    assert.match(body, /ANTHROPIC_BASE_URL=http:\/\/llm\.int\.example\.test ANTHROPIC_API_KEY=placeholder claude/);
    assert.match(body, /openai_base_url = &quot;http:\/\/llm\.int\.example\.test\/openai\/v1&quot;/);
    assert.match(body, /Codex ignores an OPENAI_BASE_URL/);
    assert.match(body, /baseURL: &#39;http:\/\/llm\.int\.example\.test\/v1&#39;/);
    assert.match(body, /curl http:\/\/llm\.int\.example\.test\/v1\/messages/);
  });

  it('every page and asset carries the CSP; HEAD answers the headers without a body', async () => {
    for (const p of ['/models', '/models.json', '/assets/app.css', '/assets/chart.js', '/assets/usage.js', '/assets/models.js', '/assets/copy.js']) {
      const r = await page(p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers['content-security-policy'], CSP, p);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', p);
      const head = await page(p, { method: 'HEAD' });
      assert.equal(head.status, 200, `HEAD ${p}`);
      assert.equal(head.body, '', `HEAD ${p}`);
      assert.equal(head.headers['content-length'], r.headers['content-length'], `HEAD ${p}`);
    }
  });

  it('no resource from another origin: every src/href/action is a path on this origin, no inline script or style', async () => {
    const { body } = await page('/models');
    for (const link of links(body)) assert.match(link, /^\/(?!\/)/, `a link off this origin: ${link}`);
    assert.doesNotMatch(body, /<style|\sstyle=/, 'no inline style (CSP style-src self)');
    for (const script of body.match(/<script[^>]*>/g) ?? []) assert.match(script, /src="\/assets\/|type="application\/json"/, `inline script: ${script}`);
    for (const name of ['app.css', 'usage.js', 'models.js', 'copy.js']) {
      const r = await page(`/assets/${name}`);
      assert.doesNotMatch(r.body, /https?:\/\/|url\(|@import|fetch\(|XMLHttpRequest/, `${name} reaches nothing`);
    }
    // Chart.js names two addresses in comments (its site, a licence); it loads nothing.
    const chart = await page('/assets/chart.js');
    assert.deepEqual([...new Set(chart.body.match(/https?:\/\/[^\s"'*)]+/g))].sort(), ['https://github.com/kurkle/color#readme', 'https://www.chartjs.org']);
    assert.doesNotMatch(chart.body, /sourceMappingURL/, 'no source map to ask for');
  });

  it("/assets/chart.js is the package's UMD build; assets are fingerprinted, cached long and revalidated by ETag", async () => {
    const dist = path.dirname(createRequire(import.meta.url).resolve('chart.js'));
    const file = fs.readFileSync(path.join(dist, 'chart.umd.min.js'), 'utf8');
    const r = await page('/assets/chart.js');
    assert.equal(r.body, file.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    const etag = String(r.headers.etag);
    assert.match(etag, /^"[0-9a-f]{16}"$/);
    const again = await page('/assets/chart.js', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    assert.equal(again.headers['content-security-policy'], CSP);
    const { body } = await page('/models');
    assert.ok(body.includes(`/assets/copy.js?v=${String((await page('/assets/copy.js')).headers.etag).slice(1, -1)}`), 'pages link the current version');
  });

  it('unknown assets are 404, other methods 405', async () => {
    assert.equal((await page('/assets/nope.js')).status, 404);
    assert.equal((await page('/assets/../package.json')).status, 404);
    assert.equal((await page('/models', { method: 'POST' })).status, 405);
    assert.equal((await page('/favicon.ico')).headers['content-type'], 'image/svg+xml', 'the icon browsers ask for unasked');
  });
});
