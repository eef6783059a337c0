// Credits (issue #5): gateway-source traffic is charged at catalog prices against a monthly
// allocation plus admin grants; byok is metered at cost 0; exhausted credits answer 402 in the
// provider's shape before anything goes upstream; concurrency overspends by at most one
// request's estimate; usage and credits survive a restart.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CREDITS_EXHAUSTED } from '../../src/core/credits.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse } from '../helpers/gatehouse.js';
import type { KeyPair } from '../helpers/ssh.js';
import { catalogPrice, closeAgents, ok, okJson, send, startWorld, usageRows, userWithVm, type World } from './helpers.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const scenario = (s: object) => ({ 'x-mock-scenario': JSON.stringify(s) });

for (const database of DATABASES) {
  describe(`credits: Claude Code acceptance, exhaustion, byok, grants, restart (issue #5) (${database.name})`, () => {
    let world: World;
    let alice: KeyPair;
    const ALLOCATION = 50_000; // GATEHOUSE_MONTHLY_CREDITS=0.05 USD
    const session = randomUUID();
    const BYOK_KEY = 'sk-ant-alice-own-key';
    // claude-opus-5-5 at 4 / 20 / 0.2 / 5 USD per 1M (input, output, cache read, cache write):
    // 14×4 + 87×20 + 20480×0.2 + 3210×5 = 56 + 1740 + 4096 + 16050
    const ACCEPTANCE_COST = 21_942;
    const EXHAUSTING_COST = 2000 * 20; // 2000 output tokens of claude-opus-5-5
    let usedBeforeRestart = 0;

    before(async () => {
      world = await startWorld({ ...(await database.env()), GATEHOUSE_MONTHLY_CREDITS: '0.05' });
      alice = await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
    });
    after(async () => {
      closeAgents();
      await world.stop();
    });

    it('acceptance: a Claude Code-style cached stream shows up exactly in "usage" and "credits"', async () => {
      assert.deepEqual(catalogPrice('claude-opus-5-5'), { input: 4, output: 20, cache_read: 0.2, cache_write: 5 });
      const beta = 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,fine-grained-tool-streaming-2025-05-14';
      const body = {
        model: 'claude-opus-5-5',
        max_tokens: 32000,
        stream: true,
        system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'summarise the repo', cache_control: { type: 'ephemeral' } }] }],
        thinking: { type: 'enabled', budget_tokens: 31999 },
        context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
        metadata: { user_id: 'user_abc_account__session_' + session },
      };
      const reply = await send(world.gh.gatewayPort, '/v1/messages?beta=true', body, {
        headers: {
          host: `llm.int.gatehouse.localhost:${world.gh.gatewayPort}`,
          ...ANTHROPIC,
          'anthropic-beta': beta,
          'x-claude-code-session-id': session,
          'x-app': 'cli',
          'user-agent': 'claude-cli/2.1.3 (external, cli)',
          ...scenario({ usage: { input: 14, cacheWrite: 3210, cacheRead: 20480, output: 87 } }),
        },
      });
      assert.equal(reply.status, 200, reply.body);
      assert.match(reply.body, /event: message_stop/);
      const upstream = world.mock.lastRequest()!;
      assert.equal(upstream.url, '/v1/messages?beta=true');
      assert.equal(upstream.headers['anthropic-beta'], beta);
      assert.equal(upstream.headers['x-api-key'], 'sk-gateway-operator');

      const usage = await okJson(world.gh.sshPort, alice, 'usage --group model');
      assert.equal(usage.group, 'model');
      assert.deepEqual(usage.rows, [
        { model: 'claude-opus-5-5', requests: 1, input_tokens: 14, cache_read_tokens: 20480, cache_write_tokens: 3210, output_tokens: 87, cost_micros: ACCEPTANCE_COST, team_cost_micros: 0, cost_usd: 0.021942 },
      ]);
      assert.equal(usage.total.model, 'total');
      assert.equal(usage.total.cost_micros, ACCEPTANCE_COST);
      assert.deepEqual(Object.keys(usage).slice(-1), ['total'], 'totals last');

      const bySession = await okJson(world.gh.sshPort, alice, 'usage --group session');
      assert.deepEqual(bySession.rows.map((r: any) => r.session), [session]);

      const credits = await okJson(world.gh.sshPort, alice, 'credits');
      assert.equal(credits.allocation_micros, ALLOCATION);
      assert.equal(credits.used_micros, ACCEPTANCE_COST);
      assert.equal(credits.granted_micros, 0);
      assert.equal(credits.remaining_micros, ALLOCATION - ACCEPTANCE_COST);
      assert.equal(credits.remaining_usd, (ALLOCATION - ACCEPTANCE_COST) / 1e6);
      const now = new Date();
      assert.equal(credits.resets_at, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString());

      const [row] = (await usageRows(world.gh)).filter((r) => r.request_id === reply.headers['x-gatehouse-request-id']);
      assert.equal(row.session_id, session);
      assert.equal(row.source, 'gateway');
      assert.equal(row.vm_name, 'devbox');
      assert.equal(row.integration_name, 'llm');
      assert.equal(row.status, 200);
      assert.ok(row.ttfb_ms !== null && row.latency_ms >= 0);
      assert.ok(Math.abs(Date.parse(row.created_at) - Date.now()) < 60_000);
    });

    it('spending past zero: the last admitted request is booked in full', async () => {
      const reply = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', { model: 'claude-opus-5-5', max_tokens: 4000, messages: [{ role: 'user', content: 'long answer' }] }, {
        headers: { ...ANTHROPIC, ...scenario({ usage: { input: 0, output: 2000 } }) },
      });
      assert.equal(reply.status, 200);
      const credits = await okJson(world.gh.sshPort, alice, 'credits');
      assert.equal(credits.used_micros, ACCEPTANCE_COST + EXHAUSTING_COST);
      assert.ok(credits.remaining_micros < 0);
      const text = await ok(world.gh.sshPort, alice, 'credits');
      assert.match(text, /remaining\s+\$0\.00/);
    });

    it('exhausted: 402 in each provider’s error shape, before anything goes upstream', async () => {
      const before = world.mock.requests.length;
      const anthropic = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', { model: 'claude-opus-5-5', max_tokens: 10, messages: [] }, { headers: ANTHROPIC });
      assert.equal(anthropic.status, 402);
      assert.deepEqual(anthropic.json, { type: 'error', error: { type: 'billing_error', message: CREDITS_EXHAUSTED } });
      const openai = await send(world.gh.gatewayPort, '/gateway/llm/openai/v1/chat/completions', { model: 'gpt-5.5', messages: [] });
      assert.equal(openai.status, 402);
      assert.equal(openai.json.error.message, CREDITS_EXHAUSTED);
      assert.equal(openai.json.error.code, 'payment_required');
      const gemini = await send(world.gh.gatewayPort, '/gateway/llm/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { contents: [] });
      assert.equal(gemini.status, 402);
      assert.deepEqual(gemini.json, { error: { code: 402, message: CREDITS_EXHAUSTED, status: 'RESOURCE_EXHAUSTED' } });
      const byHost = await send(world.gh.gatewayPort, '/v1/messages?beta=true', { model: 'claude-opus-5-5', max_tokens: 10, messages: [], stream: true }, {
        headers: { host: 'llm.int.gatehouse.localhost', ...ANTHROPIC },
      });
      assert.equal(byHost.status, 402);
      assert.equal(byHost.json.error.message, CREDITS_EXHAUSTED);
      assert.equal(CREDITS_EXHAUSTED, 'credits exhausted; they refresh monthly; see "usage" over SSH');
      assert.equal(world.mock.requests.length, before, 'nothing went upstream');
    });

    it('exhausted: count_tokens is never charged, so it still works', async () => {
      const before = world.mock.requests.length;
      const r = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages/count_tokens', { model: 'claude-opus-5-5', messages: [] }, { headers: ANTHROPIC });
      assert.equal(r.status, 200);
      assert.equal(world.mock.requests.length, before + 1);
    });

    it('exhausted: a byok integration keeps working, metered at cost 0 but reported', async () => {
      await ok(world.gh.sshPort, alice, 'integrations add llm --name mine --anthropic=byok --anthropic-key=- --attach auto:all', BYOK_KEY);
      const r = await send(world.gh.gatewayPort, '/gateway/mine/anthropic/v1/messages', { model: 'claude-opus-5-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] }, {
        headers: { ...ANTHROPIC, ...scenario({ usage: { input: 7, output: 11, cacheRead: 300, cacheWrite: 40 } }) },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(world.mock.lastRequest()!.headers['x-api-key'], BYOK_KEY);
      const byIntegration = await okJson(world.gh.sshPort, alice, 'usage --group integration');
      const mine = byIntegration.rows.find((x: any) => x.integration === 'mine');
      assert.deepEqual(mine, { integration: 'mine', requests: 1, input_tokens: 7, cache_read_tokens: 300, cache_write_tokens: 40, output_tokens: 11, cost_micros: 0, team_cost_micros: 0, cost_usd: 0 });
      const [row] = (await usageRows(world.gh)).filter((x) => x.request_id === r.headers['x-gatehouse-request-id']);
      assert.equal(row.source, 'byok');
      const credits = await okJson(world.gh.sshPort, alice, 'credits');
      assert.equal(credits.used_micros, ACCEPTANCE_COST + EXHAUSTING_COST, 'byok spends no credits');
    });

    it('an admin grant makes charged requests work again', async () => {
      const granted = await okJson(world.gh.sshPort, alice, 'admin credits grant alice 0.1 --note "more"');
      assert.equal(granted.user, 'alice');
      const credits = await okJson(world.gh.sshPort, alice, 'credits');
      assert.equal(credits.granted_micros, 100_000);
      assert.equal(credits.remaining_micros, ALLOCATION + 100_000 - ACCEPTANCE_COST - EXHAUSTING_COST);
      const r = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', { model: 'claude-opus-5-5', max_tokens: 10, messages: [] }, { headers: { ...ANTHROPIC, ...scenario({ usage: { input: 1, output: 1 } }) } });
      assert.equal(r.status, 200);
      usedBeforeRestart = ACCEPTANCE_COST + EXHAUSTING_COST + 4 + 20;
      assert.equal((await okJson(world.gh.sshPort, alice, 'credits')).used_micros, usedBeforeRestart);
    });

    it('usage and credits survive a restart on the same data dir', async () => {
      const usageBefore = await okJson(world.gh.sshPort, alice, 'usage --group model');
      const creditsBefore = await okJson(world.gh.sshPort, alice, 'credits');
      await world.gh.stop();
      world.gh = await startTestGatehouse(world.env, world.gh.dataDir);
      const usageAfter = await okJson(world.gh.sshPort, alice, 'usage --group model');
      assert.deepEqual(usageAfter, usageBefore);
      const creditsAfter = await okJson(world.gh.sshPort, alice, 'credits');
      assert.equal(creditsAfter.used_micros, usedBeforeRestart);
      assert.equal(creditsAfter.granted_micros, 100_000);
      assert.equal(creditsAfter.remaining_micros, creditsBefore.remaining_micros);
    });

    it('rows written just before a stop are kept (flushed on shutdown)', async () => {
      const r = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', { model: 'claude-opus-5-5', max_tokens: 10, messages: [] }, { headers: { ...ANTHROPIC, ...scenario({ usage: { input: 3, output: 2 } }) } });
      assert.equal(r.status, 200);
      await world.gh.stop(); // within the second: the row is still waiting in memory
      assert.ok((await usageRows(world.gh)).some((x) => x.request_id === r.headers['x-gatehouse-request-id']));
      world.gh = await startTestGatehouse(world.env, world.gh.dataDir);
      assert.equal((await okJson(world.gh.sshPort, alice, 'credits')).used_micros, usedBeforeRestart + 3 * 4 + 2 * 20);
    });
  });

  describe(`credit reservations under concurrency (issue #5) (${database.name})`, () => {
    let world: World;
    let carol: KeyPair;
    // claude-haiku-4-5 at 1 / 5 / 0.1 / 1.25. A body of exactly 800 bytes and max_tokens 100:
    // estimateMicros = ceil(800 / 2) × max(1, 1.25) + 100 × 5 = 500 + 500 = 1000 micros.
    const ESTIMATE = 1000;
    // Each request then costs exactly its estimate (400 tokens written to cache, 100 output): the
    // worst case. The allocation covers 2.5 of them.
    const ALLOCATION = 2500;

    function body(): string {
      const base = { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: '' }] };
      const pad = 800 - Buffer.byteLength(JSON.stringify(base));
      base.messages[0].content = 'x'.repeat(pad);
      const text = JSON.stringify(base);
      assert.equal(Buffer.byteLength(text), 800);
      return text;
    }

    before(async () => {
      world = await startWorld({ ...(await database.env()), GATEHOUSE_MONTHLY_CREDITS: '0.0025' });
      carol = await userWithVm(world.gh, 'carol', '127.0.0.4', 'carolbox');
    });
    after(async () => {
      closeAgents();
      await world.stop();
    });

    it('100 concurrent requests against a nearly exhausted allocation overspend by at most one estimate', async () => {
      assert.deepEqual(catalogPrice('claude-haiku-4-5'), { input: 1, output: 5, cache_read: 0.1, cache_write: 1.25 });
      // Slow answers keep every admitted request in flight while the others arrive.
      const headers = { ...ANTHROPIC, ...scenario({ usage: { input: 0, cacheWrite: 400, output: 100 }, headersDelayMs: 300 }) };
      const text = body();
      const replies = await Promise.all(Array.from({ length: 100 }, () => send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', text, { from: '127.0.0.4', headers })));
      const admitted = replies.filter((r) => r.status === 200).length;
      const refused = replies.filter((r) => r.status === 402);
      assert.equal(admitted + refused.length, 100, replies.map((r) => r.status).join(','));
      assert.ok(refused.every((r) => r.json.error.message === CREDITS_EXHAUSTED));
      assert.equal(world.mock.requests.length, admitted, 'refused requests never went upstream');
      // Admitted while something remained: 2500 → 1500 → 500 → -500, then refused.
      assert.equal(admitted, 3);
      const credits = await okJson(world.gh.sshPort, carol, 'credits');
      assert.equal(credits.used_micros, admitted * ESTIMATE);
      assert.ok(credits.used_micros - ALLOCATION <= ESTIMATE, `overspent ${credits.used_micros - ALLOCATION} > one estimate ${ESTIMATE}`);
      assert.equal(credits.reserved_micros, 0, 'every reservation was released');
      const usage = await okJson(world.gh.sshPort, carol, 'usage');
      assert.equal(usage.total.requests, admitted);
      assert.equal(usage.total.cost_micros, admitted * ESTIMATE);
    });

    it('issue 11: an absurd max_tokens reserves no more than the model can produce', async () => {
      const dave = await userWithVm(world.gh, 'dave', '127.0.0.5', 'davebox');
      const text = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 1e308, messages: [{ role: 'user', content: 'hi' }] });
      const headers = { ...ANTHROPIC, ...scenario({ usage: { input: 1, output: 1 }, headersDelayMs: 3000 }) };
      const held = send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', text, { from: '127.0.0.5', headers });
      // While it is held upstream: ceil(bytes / 2) × 1.25 + 64,000 (the model's max output) × 5.
      const expected = Math.ceil(Math.ceil(Buffer.byteLength(text) / 2) * 1.25 + 64_000 * 5);
      let reserved = 0;
      for (const deadline = Date.now() + 2500; reserved === 0 && Date.now() < deadline; ) reserved = (await okJson(world.gh.sshPort, dave, 'credits')).reserved_micros;
      assert.equal(reserved, expected);
      assert.equal((await held).status, 200);
      assert.equal((await okJson(world.gh.sshPort, dave, 'credits')).reserved_micros, 0);
    });
  });
}
