// Issue 14.3: gateway-source traffic through a team integration is charged to the team, never to
// the member who sent it; with the team's allocation spent the next request is 402
// (TEAM_CREDITS_EXHAUSTED, in the caller's shape) while the member's personal `llm` still works.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEAM_CREDITS_EXHAUSTED } from '../../src/core/credits.js';
import { pollUntil } from '../fleet/fleet.js';
import { assertRefused, intHost, OPERATOR_KEYS } from '../helpers/gateway.js';
import { DATABASES } from '../helpers/databases.js';
import { usageRows } from '../metering/helpers.js';
import { startTeamEnv, teamHost, VM, type TeamEnv } from './helpers.js';

// claude-haiku-4-5 (1 / 5 / 0.1 / 1.25 USD per 1M): an 800-byte body with max_tokens 100 is
// estimated at 1000 micros, and the mock answers with exactly that cost (400 tokens written to
// cache, 100 output). The team's allocation is two and a half such requests.
const ESTIMATE = 1000;
const TEAM_ALLOCATION = 2500;
const HEADERS = { 'anthropic-version': '2023-06-01', 'x-mock-scenario': JSON.stringify({ usage: { input: 0, cacheWrite: 400, output: 100 } }) };
const POOLED = teamHost('pooled');

function body(): string {
  const base = { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: '' }] };
  base.messages[0].content = 'x'.repeat(800 - Buffer.byteLength(JSON.stringify(base)));
  return JSON.stringify(base);
}

for (const database of DATABASES) describe(`team charging (issue 14.3) on ${database.name}`, () => {
  let env: TeamEnv;
  const call = (from: string, host = POOLED, path = '/v1/messages', payload: string | object = body()) =>
    env.request({ from, host, path, headers: { ...HEADERS, 'content-type': 'application/json' }, body: payload });
  const credits = async (key = env.bob) => JSON.parse(await env.ok(key, 'credits --json'));

  before(async () => {
    env = await startTeamEnv(database, { env: { GATEHOUSE_TEAM_MONTHLY_CREDITS: String(TEAM_ALLOCATION / 1e6), GATEHOUSE_RATE_LIMIT_RPM: '100000' } });
    await env.ok(env.alice, 'team create acme');
    await env.ok(env.alice, 'team add bob');
    await env.ok(env.alice, 'integrations add llm --name pooled --team --anthropic=gateway --attach tag:dev');
  });
  after(() => env?.stop());

  it('requests by two members are charged to the team: usage rows carry the team and the cost, personal balances are untouched', async () => {
    const before = await credits();
    const first = await call(VM.bobDev);
    assert.equal(first.status, 200, first.text);
    assert.equal(env.mock.lastRequest()!.headers['x-api-key'], OPERATOR_KEYS.anthropic);
    assert.equal((await call(VM.alice)).status, 200);
    const rows = await teamRows(env, 2);
    assert.deepEqual(rows.map((r) => Number(r.cost_micros)), [ESTIMATE, ESTIMATE]);
    assert.deepEqual(rows.map((r) => r.source), ['gateway', 'gateway']);
    assert.equal(new Set(rows.map((r) => String(r.team_id))).size, 1);
    assert.deepEqual(rows.map((r) => r.vm_name).sort(), ['alice-box', 'bob-dev']);
    const afterwards = await credits();
    assert.equal(afterwards.used_micros, before.used_micros);
    assert.equal(afterwards.remaining_micros, before.remaining_micros);
    assert.equal((await credits(env.alice)).used_micros, 0);
    // Acceptance: the team's report and balance show the cost; each member's usage marks its share as the team's.
    const team = JSON.parse(await env.ok(env.alice, 'team usage --json'));
    assert.equal(team.total.cost_micros, 2 * ESTIMATE);
    assert.deepEqual(Object.fromEntries(team.rows.map((r: any) => [r.member, r.cost_micros])), { alice: ESTIMATE, bob: ESTIMATE });
    const balance = JSON.parse(await env.ok(env.bob, 'credits --team --json'));
    assert.equal(balance.team, 'acme');
    assert.equal(balance.used_micros, 2 * ESTIMATE);
    assert.equal(balance.allocation_micros, TEAM_ALLOCATION);
    const bobs = JSON.parse(await env.ok(env.bob, 'usage --json'));
    assert.equal(bobs.total.cost_micros, ESTIMATE);
    assert.equal(bobs.total.team_cost_micros, ESTIMATE);
  });

  it('with the team\'s allocation spent: 402 TEAM_CREDITS_EXHAUSTED in the Anthropic and OpenAI shapes, nothing upstream; bob\'s personal llm still works', async () => {
    let status = 200;
    for (let i = 0; i < 5 && status === 200; i++) status = (await call(VM.bobDev)).status;
    assert.equal(status, 402);
    const spent = (await teamRows(env, 3)).filter((r) => r.status === 200).reduce((sum, r) => sum + Number(r.cost_micros), 0);
    // The reservation guarantee: never more than one estimate past the allocation.
    assert.ok(spent <= TEAM_ALLOCATION + ESTIMATE, `spent ${spent}`);
    env.mock.reset();
    assertRefused(await call(VM.bobDev), env.mock, 402, 'anthropic', TEAM_CREDITS_EXHAUSTED);
    const chat = await call(VM.alice, POOLED, '/v1/chat/completions', { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] });
    assertRefused(chat, env.mock, 402, 'openai', TEAM_CREDITS_EXHAUSTED);
    const own = await call(VM.bobDev, intHost('llm'));
    assert.equal(own.status, 200, own.text);
    const personal = await credits();
    assert.ok(personal.used_micros > 0 && personal.remaining_micros > 0);
  });
});

/** The team's usage rows (at least `count`), oldest first, once written. */
async function teamRows(env: TeamEnv, count: number): Promise<any[]> {
  let rows: any[] = [];
  await pollUntil(5000, async () => {
    rows = (await usageRows(env.gh)).filter((r) => r.team_id !== null);
    return rows.length >= count || `${rows.length} rows`;
  });
  return rows;
}
