// The metering commands over real SSH (issue #5): usage [--month] [--group] [--json], credits,
// admin usage, admin credits grant. Usage is made through the gateway first (from two VMs and
// an API key); alice signed up first (admin), bob second (not an admin).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DATABASES } from '../helpers/databases.js';
import type { KeyPair } from '../helpers/ssh.js';
import { closeAgents, ok, okJson, send, sh, startWorld, userWithVm, type World } from './helpers.js';

for (const database of DATABASES) {
  describe(`metering commands (${database.name})`, () => {
    let world: World;
    let alice: KeyPair;
    let bob: KeyPair;
    const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
    const scenario = (usage: object) => ({ 'x-mock-scenario': JSON.stringify({ usage }) });
    const today = new Date().toISOString().slice(0, 10);
    const thisMonth = today.slice(0, 7);

    /** A refusal: `error: …` on stderr (exit 1, or 2 for a usage error); with `json`, also as --json. */
    async function fails(key: KeyPair, command: string, message: RegExp, code = 1, json = false): Promise<void> {
      const r = await sh(world.gh.sshPort, key, command);
      assert.equal(r.code, code, `${command}: exit ${r.code}; ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^error: /);
      assert.match(r.stderr, message);
      if (!json) return;
      const j = await sh(world.gh.sshPort, key, `${command} --json`);
      assert.equal(j.code, code);
      assert.match(JSON.parse(j.stdout).error, message);
    }

    async function call(from: string, path: string, body: unknown, usage: object, headers: Record<string, string> = {}): Promise<void> {
      const r = await send(world.gh.gatewayPort, path, body, { from, headers: { ...headers, ...scenario(usage) } });
      assert.equal(r.status, 200, r.body);
    }

    before(async () => {
      world = await startWorld(await database.env());
      alice = await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
      await ok(world.gh.sshPort, alice, 'new --name buildbox --address 127.0.0.5');
      bob = await userWithVm(world.gh, 'bob', '127.0.0.3', 'bobbox');
      const sonnet = { model: 'claude-sonnet-5-5', max_tokens: 10, messages: [] };
      // alice: two sonnet calls in one Claude Code session from devbox, one gpt-5.5 from buildbox.
      await call('127.0.0.2', '/gateway/llm/anthropic/v1/messages', sonnet, { input: 10, output: 5, cacheRead: 100, cacheWrite: 20 }, { ...ANTHROPIC, 'x-claude-code-session-id': 'sess-1' });
      await call('127.0.0.2', '/gateway/llm/anthropic/v1/messages', sonnet, { input: 30, output: 15, cacheRead: 300, cacheWrite: 0 }, { ...ANTHROPIC, 'x-claude-code-session-id': 'sess-1' });
      await call('127.0.0.5', '/gateway/llm/openai/v1/chat/completions', { model: 'gpt-5.5', messages: [] }, { input: 200, output: 10, cacheRead: 0 });
      // alice again, from a laptop (no VM) with an API key.
      const key = (await okJson(world.gh.sshPort, alice, 'keys create --name ci')).key;
      await call('127.0.0.1', '/gateway/llm/anthropic/v1/messages', sonnet, { input: 5, output: 1 }, { ...ANTHROPIC, authorization: `Bearer ${key}` });
      // bob: one gemini call.
      await call('127.0.0.3', '/gateway/llm/gemini/v1beta/models/gemini-2.5-flash:generateContent', { contents: [] }, { input: 1000, output: 100 });
    });
    after(async () => {
      closeAgents();
      await world.stop();
    });

    // sonnet (2 / 10 / 0.2 / 2.5): 10×2 + 5×10 + 100×0.2 + 20×2.5 = 140; 30×2 + 15×10 + 300×0.2 = 270;
    // with the API key 5×2 + 1×10 = 20.
    // gpt-5.5 (5 / 30): 200×5 + 10×30 = 1300. gemini-2.5-flash (0.3 / 2.5): 1000×0.3 + 100×2.5 = 550.
    const SONNET = { requests: 3, input_tokens: 45, cache_read_tokens: 400, cache_write_tokens: 20, output_tokens: 21, cost_micros: 430, cost_usd: 0.00043 };
    const GPT = { requests: 1, input_tokens: 200, cache_read_tokens: 0, cache_write_tokens: 0, output_tokens: 10, cost_micros: 1300, cost_usd: 0.0013 };
    const ALICE_TOTAL = { requests: 4, input_tokens: 245, cache_read_tokens: 400, cache_write_tokens: 20, output_tokens: 31, cost_micros: 1730, cost_usd: 0.00173 };
    const BOB_TOTAL = { requests: 1, input_tokens: 1000, cache_read_tokens: 0, cache_write_tokens: 0, output_tokens: 100, cost_micros: 550, cost_usd: 0.00055 };

    describe('usage', () => {
      it('--json: per model by default, only the caller’s own usage, totals last', async () => {
        const u = await okJson(world.gh.sshPort, alice, 'usage');
        assert.deepEqual(u, {
          month: thisMonth,
          group: 'model',
          rows: [
            { model: 'claude-sonnet-5-5', ...SONNET, team_cost_micros: 0 },
            { model: 'gpt-5.5', ...GPT, team_cost_micros: 0 },
          ],
          total: { model: 'total', ...ALICE_TOTAL, team_cost_micros: 0 },
        });
        const b = await okJson(world.gh.sshPort, bob, 'usage');
        assert.deepEqual(b.rows, [{ model: 'gemini-2.5-flash', ...BOB_TOTAL, team_cost_micros: 0 }]);
      });

      it('--group day, vm, integration, key, session', async () => {
        const group = async (g: string) => (await okJson(world.gh.sshPort, alice, `usage --group ${g}`)).rows.map((r: any) => [r[g], r.requests, r.cost_micros]);
        assert.deepEqual(await group('day'), [[today, 4, 1730]]);
        assert.deepEqual(await group('vm'), [['-', 1, 20], ['buildbox', 1, 1300], ['devbox', 2, 410]]);
        assert.deepEqual(await group('integration'), [['llm', 4, 1730]]);
        assert.deepEqual(await group('key'), [['-', 3, 1710], ['ci', 1, 20]]);
        assert.deepEqual(await group('session'), [['-', 2, 1320], ['sess-1', 2, 410]]);
      });

      it('text: aligned columns with a header, the total on the last line', async () => {
        const lines = (await ok(world.gh.sshPort, alice, 'usage --group vm')).trimEnd().split('\n');
        assert.match(lines[0], /^VM\s+REQUESTS\s+INPUT\s+CACHE READ\s+CACHE WRITE\s+OUTPUT\s+COST$/);
        assert.match(lines[1], /^-\s+1\s+5\s+0\s+0\s+1\s+\$0\.0000$/);
        assert.match(lines[2], /^buildbox\s+1\s+200\s+0\s+0\s+10\s+\$0\.0013$/);
        assert.match(lines[3], /^devbox\s+2\s+40\s+400\s+20\s+20\s+\$0\.0004$/);
        assert.match(lines[4], /^total\s+4\s+245\s+400\s+20\s+31\s+\$0\.0017$/);
        assert.equal(lines.length, 5);
        assert.doesNotMatch(lines.join('\n'), /\x1b\[/, 'no colour without a terminal');
      });

      it('--month: another month is empty; this month is the default', async () => {
        const empty = await okJson(world.gh.sshPort, alice, 'usage --month 2020-01');
        assert.deepEqual(empty, { month: '2020-01', group: 'model', rows: [], total: { model: 'total', requests: 0, input_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, output_tokens: 0, cost_micros: 0, team_cost_micros: 0, cost_usd: 0 } });
        assert.equal((await ok(world.gh.sshPort, alice, 'usage --month 2020-01')).trim(), 'No usage in 2020-01.');
        assert.deepEqual((await okJson(world.gh.sshPort, alice, `usage --month ${thisMonth}`)).total, { model: 'total', ...ALICE_TOTAL, team_cost_micros: 0 });
      });

      it('a bad month or group is refused with what to use', async () => {
        for (const m of ['2026-13', '2026-00', '26-01', 'may', '2026-1']) await fails(alice, `usage --month ${m}`, /invalid month .*use YYYY-MM/, 1, m === 'may');
        await fails(alice, 'usage --group nonsense', /invalid group "nonsense": use one of model, day, vm, integration, key, session/, 1, true);
        await fails(alice, 'usage --group user', /invalid group "user"/); // per user is the admin report
        await fails(alice, 'usage --month', /flag --month needs a value/, 2);
      });
    });

    describe('credits', () => {
      it('shows allocation, used, granted, remaining and the reset date', async () => {
        const c = await okJson(world.gh.sshPort, alice, 'credits');
        assert.equal(c.month, thisMonth);
        assert.equal(c.allocation_micros, 20_000_000); // GATEHOUSE_MONTHLY_CREDITS defaults to 20 USD
        assert.equal(c.used_micros, 1730);
        assert.equal(c.granted_micros, 0);
        assert.equal(c.remaining_micros, 20_000_000 - 1730);
        const now = new Date();
        assert.equal(c.resets_at, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString());
        const text = await ok(world.gh.sshPort, alice, 'credits');
        assert.match(text, /^month\s+\d{4}-\d\d$/m);
        assert.match(text, /^allocation\s+\$20\.00$/m);
        assert.match(text, /^used\s+\$0\.0017$/m);
        assert.match(text, /^granted\s+\$0\.00$/m);
        assert.match(text, /^remaining\s+\$20\.00$/m);
        assert.match(text, /^resets\s+\d{4}-\d\d-01 00:00 UTC$/m);
      });
    });

    describe('admin usage', () => {
      it('per user (default) and per model, across every account', async () => {
        const byUser = await okJson(world.gh.sshPort, alice, 'admin usage');
        assert.deepEqual(byUser.rows, [
          { user: 'alice', ...ALICE_TOTAL },
          { user: 'bob', ...BOB_TOTAL },
        ]);
        assert.equal(byUser.total.requests, 5);
        assert.equal(byUser.total.cost_micros, 1730 + 550);
        const byModel = await okJson(world.gh.sshPort, alice, 'admin usage --group model');
        assert.deepEqual(byModel.rows.map((r: any) => [r.model, r.requests]), [['claude-sonnet-5-5', 3], ['gemini-2.5-flash', 1], ['gpt-5.5', 1]]);
        const text = (await ok(world.gh.sshPort, alice, 'admin usage')).trimEnd().split('\n');
        assert.match(text[0], /^USER\s+REQUESTS/);
        assert.match(text[text.length - 1], /^total\s+5\s/);
      });

      it('--month and --group are checked', async () => {
        assert.deepEqual((await okJson(world.gh.sshPort, alice, 'admin usage --month 2020-01')).rows, []);
        await fails(alice, 'admin usage --group vm', /invalid group "vm": use one of user, model/);
        await fails(alice, 'admin usage --month 2020-1', /invalid month/);
      });

      it('a non-admin is refused clearly', async () => {
        await fails(bob, 'admin usage', /"admin usage" is for admins only/, 1, true);
        await fails(bob, 'admin usage --group model', /for admins only/);
      });
    });

    describe('admin credits grant', () => {
      it('grants a user dollars for this month, with a note; their balance follows at once', async () => {
        const before = await okJson(world.gh.sshPort, bob, 'credits');
        const out = await ok(world.gh.sshPort, alice, 'admin credits grant bob 2.5 --note "hackathon"');
        assert.equal(out.trim(), `Granted $2.50 to bob for ${thisMonth}`);
        const j = await okJson(world.gh.sshPort, alice, 'admin credits grant bob 0.000001');
        assert.deepEqual(j, { user: 'bob', granted_usd: 0.000001, month: thisMonth, note: '' });
        const after = await okJson(world.gh.sshPort, bob, 'credits');
        assert.equal(after.granted_micros, 2_500_001);
        assert.equal(after.remaining_micros, before.remaining_micros + 2_500_001);
        assert.equal((await okJson(world.gh.sshPort, alice, 'credits')).granted_micros, 0, 'only bob got it');
      });

      it('refuses an unknown user and bad amounts, granting nothing', async () => {
        const before = (await okJson(world.gh.sshPort, bob, 'credits')).granted_micros;
        await fails(alice, 'admin credits grant nobody 5', /user "nobody" not found/, 1, true);
        for (const amount of ['0', '0.0', 'abc', '1e3', '1.1234567', '2000000', '5usd', '1,5', '.5']) {
          await fails(alice, `admin credits grant bob ${amount}`, /invalid amount .*positive number of USD/);
        }
        const negative = await sh(world.gh.sshPort, alice, 'admin credits grant bob -5');
        assert.equal(negative.code === 1 || negative.code === 2, true, negative.stderr);
        await fails(alice, 'admin credits give bob 5', /subcommand "give" not found, valid subcommands are: grant/, 2);
        const missing = await sh(world.gh.sshPort, alice, 'admin credits grant bob');
        assert.notEqual(missing.code, 0);
        assert.match(missing.stderr, /DOLLARS|missing/i);
        assert.equal((await okJson(world.gh.sshPort, bob, 'credits')).granted_micros, before);
      });

      it('a non-admin cannot grant, not even to themselves', async () => {
        const before = (await okJson(world.gh.sshPort, bob, 'credits')).granted_micros;
        await fails(bob, 'admin credits grant bob 100', /"admin credits" is for admins only/, 1, true);
        assert.equal((await okJson(world.gh.sshPort, bob, 'credits')).granted_micros, before);
      });
    });
  });
}
