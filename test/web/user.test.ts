// Issue 17: /user, /team and /admin over HTTP against the shell's JSON for real gateway traffic
// (usage --json, credits --json, team usage, admin usage), scoped by the session alone: bob's
// session reaches nothing of alice's by any URL; hostile months are refused; everything escaped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { monthOf } from '../../src/core/month.js';
import { openDatabase } from '../../src/db/open.js';
import { insertUsageRows } from '../../src/db/usage.js';
import { findUserByName } from '../../src/db/users.js';
import { CSP } from '../../src/web/respond.js';
import { DATABASES } from '../helpers/databases.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';
import { closeAgents, ok, okJson, send, startWorld, userWithVm, type World } from '../metering/helpers.js';
import { assertTable, get, jsonBlock, links, tableRows } from './http.js';

const THIS_MONTH = monthOf(new Date());
const LAST_MONTH = monthOf(new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 15)));
const HOSTILE_SESSION = '<img src=x onerror=alert(1)>';

for (const database of DATABASES) describe(`web: the usage pages (issue 17) on ${database.name}`, () => {
  let world: World;
  let alice: KeyPair;
  let bob: KeyPair;
  let carol: KeyPair;
  const cookies = new Map<KeyPair, string>();
  const ssh = (key: KeyPair, command: string) => okJson(world.gh.sshPort, key, command);
  const page = (key: KeyPair | undefined, path: string, method = 'GET') => get(world.gh.webPort!, path, { cookie: key && cookies.get(key), method });

  /** `browser --json`, then the link: the session cookie it sets. */
  async function signIn(key: KeyPair): Promise<string> {
    const { magic_link } = await ssh(key, 'browser');
    const r = await get(world.gh.webPort!, new URL(magic_link).pathname + new URL(magic_link).search);
    assert.equal(r.status, 303);
    const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0];
    assert.match(cookie, /^gh_session=./);
    return cookie;
  }

  before(async () => {
    world = await startWorld(await database.env());
    const port = world.gh.sshPort;
    alice = await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
    await ok(port, alice, 'new --name buildbox --address 127.0.0.5');
    await ok(port, alice, `comment buildbox '<script>alert("vm")</script>'`);
    bob = await userWithVm(world.gh, 'bob', '127.0.0.3', 'bobbox');
    carol = await signUp(port, 'carol');
    await ok(port, alice, 'team create acme');
    await ok(port, alice, 'team add bob');
    await ok(port, alice, 'integrations add llm --name pooled --team --anthropic=gateway --attach tag:dev');
    await ok(port, alice, 'tag devbox dev');
    const call = async (from: string, path: string, body: unknown, usage: object, headers: Record<string, string> = {}) => {
      const r = await send(world.gh.gatewayPort, path, body, { from, headers: { 'anthropic-version': '2023-06-01', ...headers, 'x-mock-scenario': JSON.stringify({ usage }) } });
      assert.equal(r.status, 200, r.body);
    };
    const sonnet = { model: 'claude-sonnet-5-5', max_tokens: 10, messages: [] };
    await call('127.0.0.2', '/gateway/llm/anthropic/v1/messages', sonnet, { input: 1200, output: 800, cacheRead: 50_000, cacheWrite: 2000 }, { 'x-claude-code-session-id': 'sess-1' });
    await call('127.0.0.2', '/gateway/llm/anthropic/v1/messages', sonnet, { input: 300, output: 150 }, { 'x-claude-code-session-id': HOSTILE_SESSION });
    await call('127.0.0.5', '/gateway/llm/openai/v1/chat/completions', { model: 'gpt-5.5', messages: [] }, { input: 20_000, output: 4000 });
    await call('127.0.0.2', '/gateway/pooled/anthropic/v1/messages', sonnet, { input: 900, output: 300 });
    const key = (await ssh(alice, 'keys create --name laptop')).key;
    await call('127.0.0.1', '/gateway/llm/anthropic/v1/messages', sonnet, { input: 500, output: 100 }, { authorization: `Bearer ${key}` });
    await call('127.0.0.3', '/gateway/llm/gemini/v1beta/models/gemini-2.5-flash:generateContent', { contents: [] }, { input: 7000, output: 900 });
    for (const k of [alice, bob, carol]) cookies.set(k, await signIn(k));
  });
  after(async () => {
    closeAgents();
    await world?.stop();
  });

  it('without a session: the sign-in page (401) on /user, /team and /admin', async () => {
    for (const p of ['/user', '/team', '/admin', `/user?month=${LAST_MONTH}`]) {
      const r = await page(undefined, p);
      assert.equal(r.status, 401, p);
      assert.doesNotMatch(r.body, /devbox|sess-1/);
    }
  });

  it("/user: every usage table equals `usage --group G --json`, the credits equal `credits --json`, the chart adds up per day", async () => {
    const r = await page(alice, '/user');
    assert.equal(r.status, 200);
    for (const group of ['model', 'vm', 'integration', 'key', 'session']) assertTable(tableRows(r.body, `usage-by-${group}`), await ssh(alice, `usage --group ${group}`));
    const credits = await ssh(alice, 'credits');
    for (const f of ['allocation', 'used', 'granted', 'remaining']) assert.match(r.body, new RegExp(`data-${f}-micros="${credits[`${f}_micros`]}"`), f);
    assert.ok(credits.used_micros > 0);
    const chart = jsonBlock(r.body, 'usage-chart-data');
    const byDay = await ssh(alice, 'usage --group day');
    assert.equal(chart.month, THIS_MONTH);
    const perDay = chart.labels.map((_: string, i: number) => chart.series.reduce((t: number, s: any) => t + s.micros[i], 0));
    const expected = chart.labels.map(() => 0);
    for (const d of byDay.rows) expected[Number(d.day.slice(8)) - 1] = d.cost_micros;
    assert.deepEqual(perDay, expected);
    assert.deepEqual(chart.series.map((s: any) => s.model).sort(), ['claude-sonnet-5-5', 'gpt-5.5']);
  });

  it("/user lists the user's VMs, integrations (hostnames, sources, attachments) and keys (prefix), never a secret", async () => {
    const r = await page(alice, '/user');
    assert.deepEqual(tableRows(r.body, 'vms')!.map((v) => v.key), ['buildbox', 'devbox']);
    const ints = tableRows(r.body, 'integrations')!;
    const pooled = ints.find((i) => i.key === 'pooled')!;
    assert.equal(pooled.cells.hostname, `pooled.team.${world.gh.config.domain}`, 'a team integration answers on NAME.team.DOMAIN');
    assert.equal(ints.find((i) => i.key === 'llm')!.cells.hostname, `llm.int.${world.gh.config.domain}`);
    assert.equal(pooled.cells.attachments, 'tag:dev');
    assert.equal(pooled.cells.team, 'acme');
    assert.match(pooled.cells.summary, /anthropic\(gateway\)/);
    const keys = await ssh(alice, 'keys list');
    assert.deepEqual(tableRows(r.body, 'api-keys')!.map((k) => [k.key, k.cells.prefix]), keys.map((k: any) => [k.name, `${k.prefix}…`]));
    assert.doesNotMatch(r.body, /gk_[A-Za-z0-9_-]{20,}/, 'no full API key');
    assert.ok(!r.body.includes('sk-gateway-operator'), 'no provider key');
  });

  it('escapes what users and VMs sent: a VM comment and a Claude Code session id come back as text', async () => {
    const r = await page(alice, '/user');
    assert.ok(!r.body.includes('<script>alert'), 'no script from a VM comment');
    assert.ok(r.body.includes('&lt;script&gt;alert(&quot;vm&quot;)&lt;/script&gt;'));
    assert.ok(!r.body.includes(HOSTILE_SESSION));
    assert.ok(tableRows(r.body, 'usage-by-session')!.some((s) => s.key === HOSTILE_SESSION), 'the session row, escaped');
  });

  it("a model name that would end the chart's JSON block stays data: no script, the same name after parsing", async () => {
    const hostile = '</script><script>alert(1)</script>\u2028';
    const db = await openDatabase(world.gh.config.database);
    try {
      const carolRow = await findUserByName(db, 'carol');
      const row = { created_at: new Date().toISOString(), month: THIS_MONTH, request_id: 'hostile-model', user_id: carolRow!.id, vm_id: null, vm_name: null, api_key_id: null, api_key_name: null, integration_id: null, integration_name: 'llm', provider: 'openai', model: hostile, source: 'byok', api: 'chat', status: 200, input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: 0, latency_ms: 1, ttfb_ms: 1, session_id: null, team_id: null };
      await insertUsageRows(db, [row], 'web-test');
    } finally {
      await db.destroy();
    }
    const r = await page(carol, '/user');
    assert.equal(r.status, 200);
    assert.ok(!r.body.includes('<script>alert'), 'no script injected');
    assert.equal((r.body.match(/<\/script>/g) ?? []).length, (r.body.match(/<script/g) ?? []).length, 'every script element closes where it opened');
    assert.deepEqual(jsonBlock(r.body, 'usage-chart-data').series.map((s: any) => s.model), [hostile]);
    assert.deepEqual(tableRows(r.body, 'usage-by-model')!.map((row) => row.key), [hostile, 'total']);
  });

  it('?month=: last month equals `usage --month … --json`; the switcher links both ways, never past this month', async () => {
    const r = await page(alice, `/user?month=${LAST_MONTH}`);
    assert.equal(r.status, 200);
    for (const group of ['model', 'vm']) assertTable(tableRows(r.body, `usage-by-${group}`), await ssh(alice, `usage --month ${LAST_MONTH} --group ${group}`));
    assert.match(r.body, new RegExp(`id="month-next" href="/user\\?month=${THIS_MONTH}"`));
    assert.match((await page(alice, '/user')).body, /<span id="month-next" class="off">/);
    assert.match((await page(alice, '/user')).body, new RegExp(`id="month-prev" href="/user\\?month=${LAST_MONTH}"`));
  });

  it('hostile months are a 400 that echoes nothing; the page still answers others', async () => {
    const hostile = ['2026-13', '2026-1', '1969-12', '0000-01', 'x'.repeat(1500), '%3Cscript%3E', '2026-01%00', '2026-01&month=2026-02', '../../etc', '-1', '2026-01-01'];
    for (const m of hostile) {
      const r = await page(alice, `/user?month=${m}`);
      assert.equal(r.status, 400, m);
      assert.ok(!r.body.includes('<script>'), m);
      assert.match(r.body, /Invalid month/);
    }
    assert.equal((await page(alice, `/user?month=${'9'.repeat(3000)}`)).status, 413, 'over the URL cap');
    assert.equal((await page(alice, '/user')).status, 200);
  });

  it("bob's session cannot reach alice's data by any URL", async () => {
    const mine = await page(bob, '/user');
    assertTable(tableRows(mine.body, 'usage-by-model'), await ssh(bob, 'usage'));
    const ids = ['1', 'alice', 'acme'];
    const urls = ['/user', ...ids.flatMap((id) => [`/user?user=${id}`, `/user?user_id=${id}`, `/user?userId=${id}`, `/user?team=${id}`, `/admin?user=${id}`, `/team?team=${id}`, `/user/${id}`, `/users/${id}`])];
    for (const url of urls) {
      const r = await page(bob, url);
      for (const mark of ['devbox', 'buildbox', 'sess-1', 'gpt-5.5', 'laptop']) assert.ok(!r.body.includes(mark), `${url} (${r.status}) shows ${mark}`);
    }
    assert.equal((await page(bob, '/team')).status, 403, 'a plain member');
    assert.equal((await page(carol, '/team')).status, 403, 'not in a team');
    assert.equal((await page(bob, '/admin')).status, 403);
    assert.equal((await page(carol, '/admin')).status, 403);
    assert.equal((await page(bob, '/team?month=<x>')).status, 403, 'refused before the month is read');
  });

  it('/team (owner): by member and model as `team usage --json`, credits as `credits --team --json`', async () => {
    const r = await page(alice, '/team');
    assert.equal(r.status, 200);
    assertTable(tableRows(r.body, 'usage-by-member'), await ssh(alice, 'team usage --group member'));
    assertTable(tableRows(r.body, 'usage-by-model'), await ssh(alice, 'team usage --group model'));
    const credits = await ssh(alice, 'credits --team');
    assert.ok(credits.used_micros > 0);
    for (const f of ['allocation', 'used', 'granted', 'remaining']) assert.match(r.body, new RegExp(`id="team-credits"[^>]* data-${f}-micros="${credits[`${f}_micros`]}"`), f);
  });

  it('/admin (installation admin): everyone by user and by model as `admin usage --json`', async () => {
    const r = await page(alice, `/admin?month=${THIS_MONTH}`);
    assert.equal(r.status, 200);
    assertTable(tableRows(r.body, 'usage-by-user'), await ssh(alice, 'admin usage --group user'));
    assertTable(tableRows(r.body, 'usage-by-model'), await ssh(alice, 'admin usage --group model'));
  });

  it('HEAD, the CSP and no other origin on every signed-in page', async () => {
    for (const p of ['/user', '/team', '/admin']) {
      const r = await page(alice, p);
      assert.equal(r.headers['content-security-policy'], CSP, p);
      assert.equal(r.headers['cache-control'], 'no-store', p);
      for (const link of links(r.body)) assert.match(link, /^\/(?!\/)/, `${p}: ${link}`);
      assert.doesNotMatch(r.body, /<style|\sstyle=/, p);
      for (const script of r.body.match(/<script[^>]*>/g) ?? []) assert.match(script, /src="\/assets\/|type="application\/json"/, `${p}: ${script}`);
      const head = await page(alice, p, 'HEAD');
      assert.equal(head.status, 200, p);
      assert.equal(head.body, '');
    }
  });
});
