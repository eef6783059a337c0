// Credits across a fleet (issue 12.3, 12.4): two in-process instances A and B on one PostgreSQL
// database, one user's allocation of a few requests' cost. The documented bound
// (src/core/credits.ts): the fleet overspends by at most one estimate per instance; `usage` on
// either instance counts every request once; a grant lifts a 402 within about a second; credit
// leased by an idle instance comes back to the others.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CREDITS_EXHAUSTED, LEASE_IDLE_MS, RECHECK_MS } from '../../src/core/credits.js';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { POSTGRES_URL, freshPostgresUrl } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import type { KeyPair } from '../helpers/ssh.js';
import { closeAgents, okJson, send, until, upstreamEnv, usageRows, userWithVm, type Reply } from '../metering/helpers.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
// claude-haiku-4-5 (1 / 5 / 0.1 / 1.25 USD per 1M): an 800-byte body with max_tokens 100 is
// estimated at ceil(800 / 2) × 1.25 + 100 × 5 = 1000 micros, and the mock answers with exactly
// that cost (400 tokens written to cache, 100 output): the worst case for overspending.
const ESTIMATE = 1000;
const ALLOCATION = 2500;
const INSTANCES = 2;
const SLOW = { 'x-mock-scenario': JSON.stringify({ usage: { input: 0, cacheWrite: 400, output: 100 }, headersDelayMs: 300 }) };
const QUICK = { 'x-mock-scenario': JSON.stringify({ usage: { input: 0, cacheWrite: 400, output: 100 } }) };

function body(): string {
  const base = { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: '' }] };
  base.messages[0].content = 'x'.repeat(800 - Buffer.byteLength(JSON.stringify(base)));
  return JSON.stringify(base);
}

describe('a fleet of two instances on one PostgreSQL: credits and usage (issue 12.3, 12.4)', { skip: !POSTGRES_URL && 'no PostgreSQL' }, () => {
  let mock: MockProvider;
  let a: TestGatehouse;
  let b: TestGatehouse;
  let carol: KeyPair;
  const charged = (gh: TestGatehouse, from: string, headers = SLOW) => send(gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', body(), { from, headers: { ...ANTHROPIC, ...headers } });

  before(async () => {
    mock = await startMockProvider();
    const env = { ...upstreamEnv(mock.url), GATEHOUSE_DATABASE_URL: await freshPostgresUrl(), GATEHOUSE_SECRET_KEY: randomBytes(32).toString('hex'), GATEHOUSE_MONTHLY_CREDITS: String(ALLOCATION / 1e6), GATEHOUSE_RATE_LIMIT_RPM: '100000' };
    a = await startTestGatehouse(env);
    carol = await userWithVm(a, 'carol', '127.0.0.4', 'carolbox');
    await userWithVm(a, 'dave', '127.0.0.5', 'davebox');
    b = await startTestGatehouse(env); // after the VMs exist: B reads them at its first request
  });
  after(async () => {
    closeAgents();
    await Promise.all([a?.stop(), b?.stop()]);
    await mock.close();
  });

  it('issue 12.3: 100 concurrent charged requests, half through A, half through B, overspend by at most one estimate per instance', async (t) => {
    assert.equal(Buffer.byteLength(body()), 800);
    const replies: { via: 'A' | 'B'; reply: Reply }[] = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => (i % 2 ? { via: 'B' as const, reply: await charged(b, '127.0.0.4') } : { via: 'A' as const, reply: await charged(a, '127.0.0.4') })),
    );
    const ok = replies.filter((r) => r.reply.status === 200);
    const refused = replies.filter((r) => r.reply.status === 402);
    assert.equal(ok.length + refused.length, 100, replies.map((r) => r.reply.status).join(','));
    assert.ok(refused.every((r) => r.reply.json.error.message === CREDITS_EXHAUSTED));
    assert.ok(ok.length >= 1, 'the allocation admits something');
    assert.equal(mock.requests.length, ok.length, 'refused requests never went upstream');
    const spent = ok.length * ESTIMATE;
    t.diagnostic(`admitted ${ok.length} (${ok.filter((r) => r.via === 'A').length} through A), spent ${spent} of ${ALLOCATION}`);
    assert.ok(spent - ALLOCATION <= INSTANCES * ESTIMATE, `overspent ${spent - ALLOCATION} > ${INSTANCES} estimates`);

    // Every answered request is one row, whichever instance wrote it; `usage` on either instance shows them all.
    const ids = new Set(ok.map((r) => String(r.reply.headers['x-gatehouse-request-id'])));
    for (const gh of [b, a, b]) {
      const usage = await until(async () => {
        const u = await okJson(gh.sshPort, carol, 'usage');
        return u.total.requests >= ok.length && u;
      }, 'usage shows every answered request', 3000);
      assert.equal(usage.total.requests, ok.length, 'each request counted once');
      assert.equal(usage.total.cost_micros, spent);
      const credits = await okJson(gh.sshPort, carol, 'credits');
      assert.equal(credits.used_micros, spent, 'credits: the fleet’s spend');
      assert.equal(credits.reserved_micros, 0);
    }
    const rows = (await usageRows(a)).filter((r) => r.vm_name === 'carolbox');
    assert.deepEqual(new Set(rows.map((r) => r.request_id)), ids);
    assert.equal(rows.length, ids.size);
  });

  it(`issue 12.3: a grant made through B lifts the 402 on A within about ${RECHECK_MS} ms`, async (t) => {
    assert.equal((await charged(a, '127.0.0.4', QUICK)).status, 402);
    const granted = Date.now();
    await okJson(b.sshPort, carol, 'admin credits grant carol 0.002');
    let tries = 0;
    await until(async () => {
      tries++;
      return (await charged(a, '127.0.0.4', QUICK)).status === 200;
    }, 'a request through A admitted after the grant', 3000);
    const took = Date.now() - granted;
    t.diagnostic(`admitted through A ${took} ms after the grant through B, after ${tries} tries`);
    assert.ok(took <= RECHECK_MS + 1000, `admitted ${took} ms after the grant`);
  });

  it('issue 12.3: credit leased by an idle instance goes back to the fleet (the false-402 window)', async (t) => {
    // dave's first request through A leases his whole (small) balance to A.
    assert.equal((await charged(a, '127.0.0.5', QUICK)).status, 200);
    const first = await charged(b, '127.0.0.5', QUICK);
    assert.equal(first.status, 402, 'B finds the rest leased to A: the documented false 402');
    const since = Date.now();
    await until(async () => (await charged(b, '127.0.0.5', QUICK)).status === 200, 'B admits once A returned its idle lease', LEASE_IDLE_MS + 6000);
    t.diagnostic(`B admitted ${Date.now() - since} ms after its first 402`);
    assert.ok(Date.now() - since >= LEASE_IDLE_MS - 1000, 'not before A was idle');
  });
});
